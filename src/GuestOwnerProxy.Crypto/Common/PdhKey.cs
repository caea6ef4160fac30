namespace GuestOwnerProxy.Crypto.Common;

/// <summary>
/// A platform's PDH parsed and its public key imported, checked once: what sessions are built against. A host sends the
/// same PDH for every VM it launches, so the chain cache keeps this beside the verification result and a launch pays
/// for the key agreement alone, not for parsing and re-validating the platform's key (issue 14).
/// Public material only: nothing here needs zeroing.
/// </summary>
public abstract class PdhKey
{
    public abstract PlatformKind Platform { get; }
}
