using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Sessions;

/// <summary>
/// Live launch sessions, each under a connection id (Setup) and a launch id (keybroker). A secret request
/// checks a session out exclusively (<see cref="TryAcquireAsync"/>), so two concurrent requests for the same
/// session can never both release it. Asynchronous throughout, so a store in another process (Redis) fits
/// the same seam; an implementation that cannot reach its backing store throws, and the broker denies.
/// </summary>
public interface ISessionStore
{
    /// <summary>Stores the session under a fresh, unpredictable, positive connection id and a random launch id.</summary>
    /// <param name="client">Who asked (<c>ClientIdentity</c>), for the per-client bound.</param>
    /// <exception cref="SessionStoreFullException">a bound on live sessions is reached.</exception>
    ValueTask<LiveSession> AddAsync(LaunchSession launch, PlatformIdentity identity, string peer, string client);

    /// <summary>Checks out a live session by either of its names; null when unknown, expired or already checked out.</summary>
    ValueTask<ISessionLease?> TryAcquireAsync(SessionHandle handle);

    /// <summary>Live (not expired) sessions.</summary>
    ValueTask<int> CountAsync();

    /// <summary>Null while the store can serve; otherwise why not (health reports NOT_SERVING). A store in this
    /// process's memory always can.</summary>
    ValueTask<string?> ProblemAsync() => ValueTask.FromResult<string?>(null);
}

/// <summary>An exclusive hold on a session during one secret request. Disposing without an outcome returns it unchanged.</summary>
public interface ISessionLease : IAsyncDisposable
{
    LiveSession Session { get; }

    /// <summary>The secret was released: the session is removed and its keys zeroed (single use).</summary>
    ValueTask CompleteAsync();

    /// <summary>A measurement attempt failed. Returns true when that was the last allowed attempt and the session is gone.</summary>
    ValueTask<bool> RecordFailedAttemptAsync();

    /// <summary>The session can never succeed (its chain no longer verifies): removed and zeroed without a release.</summary>
    ValueTask CloseAsync();
}

/// <summary>Which bound refused a new session.</summary>
public enum SessionLimit
{
    Sessions,
    Memory,
    PerClient,
}

public sealed class SessionStoreFullException : Exception
{
    public SessionStoreFullException(SessionLimit limit, long value)
        : base($"session store full ({limit}, limit {value}); retry later")
    {
        Limit = limit;
        Value = value;
    }

    public SessionLimit Limit { get; }
    public long Value { get; }
}
