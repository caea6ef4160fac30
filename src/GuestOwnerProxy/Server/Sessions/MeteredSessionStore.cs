using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Sessions;

/// <summary>
/// The broker's view of whichever <see cref="ISessionStore"/> is registered: it counts the store's failures per
/// operation (an exception other than a full store: a backing store that cannot be reached, a bug) and lets
/// them through unchanged, so the broker still denies. Any store implementation gets the session-store error
/// metric for free by being wrapped here (ServerHost hands this to the broker). Counts only: the metrics
/// (<c>Observability/GopMetrics</c>) read them.
/// </summary>
public sealed class MeteredSessionStore(ISessionStore inner) : ISessionStore
{
    private readonly long[] _errors = new long[Enum.GetValues<SessionStoreOperation>().Length];

    public ISessionStore Inner => inner;

    /// <summary>Failures of <paramref name="operation"/> since start.</summary>
    public long Errors(SessionStoreOperation operation) => Interlocked.Read(ref _errors[(int)operation]);

    public ValueTask<LiveSession> AddAsync(LaunchSession launch, PlatformIdentity identity, string peer, string client) =>
        Counted(SessionStoreOperation.Add, () => inner.AddAsync(launch, identity, peer, client));

    public async ValueTask<ISessionLease?> TryAcquireAsync(SessionHandle handle)
    {
        var lease = await Counted(SessionStoreOperation.Acquire, () => inner.TryAcquireAsync(handle));
        return lease is null ? null : new MeteredLease(this, lease);
    }

    public ValueTask<int> CountAsync() => Counted(SessionStoreOperation.Count, () => inner.CountAsync());

    private async ValueTask<T> Counted<T>(SessionStoreOperation operation, Func<ValueTask<T>> call)
    {
        try
        {
            // Invoked inside the try: a store that throws before it returns a task is counted too.
            return await call();
        }
        catch (Exception ex) when (ex is not SessionStoreFullException)
        {
            Interlocked.Increment(ref _errors[(int)operation]);
            throw;
        }
    }

    private async ValueTask Counted(SessionStoreOperation operation, Func<ValueTask> call)
    {
        try
        {
            await call();
        }
        catch
        {
            Interlocked.Increment(ref _errors[(int)operation]);
            throw;
        }
    }

    private sealed class MeteredLease(MeteredSessionStore store, ISessionLease inner) : ISessionLease
    {
        public LiveSession Session => inner.Session;

        public ValueTask CompleteAsync() => store.Counted(SessionStoreOperation.Complete, () => inner.CompleteAsync());

        public ValueTask<bool> RecordFailedAttemptAsync() => store.Counted(SessionStoreOperation.FailedAttempt, () => inner.RecordFailedAttemptAsync());

        public ValueTask CloseAsync() => store.Counted(SessionStoreOperation.Close, () => inner.CloseAsync());

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

/// <summary>What the broker asks of a session store (the <c>operation</c> label of <c>gop_session_store_errors_total</c>).</summary>
public enum SessionStoreOperation
{
    Add,
    Acquire,
    Complete,
    FailedAttempt,
    Close,
    Count,
}
