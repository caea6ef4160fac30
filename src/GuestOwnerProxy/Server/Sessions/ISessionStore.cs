using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Sessions;

/// <summary>
/// Live launch sessions by connection id. A secret request checks a session out exclusively
/// (<see cref="TryAcquire"/>), so two concurrent requests for the same id can never both release it.
/// </summary>
public interface ISessionStore
{
    /// <summary>Stores the session under a fresh, unpredictable, positive connection id.</summary>
    /// <exception cref="SessionStoreFullException">the maximum number of live sessions is reached.</exception>
    LiveSession Add(LaunchSession launch, PlatformIdentity identity, string peer);

    /// <summary>Checks out a live session; null when unknown, expired or already checked out.</summary>
    ISessionLease? TryAcquire(int connectionId);

    /// <summary>The same by the keybroker protocol's launch id (<see cref="LiveSession.LaunchId"/>).</summary>
    ISessionLease? TryAcquire(Guid launchId) =>
        throw new NotSupportedException($"{GetType().Name} does not index sessions by launch id");

    /// <summary>Live (not expired) sessions.</summary>
    int Count { get; }
}

/// <summary>An exclusive hold on a session during one secret request. Disposing without an outcome returns it unchanged.</summary>
public interface ISessionLease : IDisposable
{
    LiveSession Session { get; }

    /// <summary>The secret was released: the session is removed and its keys zeroed (single use).</summary>
    void Complete();

    /// <summary>A measurement attempt failed. Returns true when that was the last allowed attempt and the session is gone.</summary>
    bool RecordFailedAttempt();
}

public sealed class SessionStoreFullException : Exception
{
    public SessionStoreFullException(int limit)
        : base($"too many live launch sessions (limit {limit}); retry later") => Limit = limit;

    public int Limit { get; }
}
