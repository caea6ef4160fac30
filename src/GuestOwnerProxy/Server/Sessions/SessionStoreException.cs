using GuestOwnerProxy.Server.Policy;

namespace GuestOwnerProxy.Server.Sessions;

/// <summary>A session store that could not do what was asked. The broker denies with <see cref="Reason"/> (fail closed);
/// the message names the cause for the log and never holds session contents.</summary>
public abstract class SessionStoreException(string message, Exception? inner = null) : Exception(message, inner)
{
    public abstract DenialReason Reason { get; }
}

/// <summary>The backing store (Redis) cannot be reached or did not answer within its timeout.</summary>
public sealed class SessionStoreUnavailableException(string message, Exception? inner = null) : SessionStoreException(message, inner)
{
    public override DenialReason Reason => DenialReason.SessionStoreUnavailable;
}

/// <summary>A stored session did not unseal (its key is no longer configured, or the value was altered). It is removed.</summary>
public sealed class SessionUnreadableException(string message) : SessionStoreException(message)
{
    public override DenialReason Reason => DenialReason.SessionUnreadable;
}

/// <summary>A stored session is sealed with a key this server does not have. It stays in the store (another replica, in
/// the middle of a key rotation, may open it); the request may be retried.</summary>
public sealed class SessionSealedWithUnknownKeyException(string message) : SessionStoreException(message)
{
    public override DenialReason Reason => DenialReason.SessionSealedWithUnknownKey;
}
