using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Sessions;

/// <summary>What the bundle step proved about the platform, kept with the session for policy and audit.</summary>
/// <param name="TrustVersion">The trust the chain was verified under (<c>BrokerConfiguration.TrustVersion</c>).</param>
/// <param name="Evidence">The PDH and chain the host presented (public bytes), kept so the chain can be verified
/// again when the trust changes before the secret is asked for.</param>
public sealed record PlatformIdentity(PlatformKind Platform, string? ChipId, string? RootName, bool ChainVerified,
    string TrustVersion, PlatformEvidence Evidence);

/// <summary>
/// A session between bundle and secret: the launch keys (TEK/TIK, zeroed on dispose) and what was
/// proved about the platform. Owned by the store.
/// </summary>
public sealed class LiveSession : IDisposable
{
    public LiveSession(int connectionId, LaunchSession launch, PlatformIdentity identity, string peer, DateTimeOffset createdAt, DateTimeOffset expiresAt,
        Guid launchId = default)
    {
        ConnectionId = connectionId;
        LaunchId = launchId;
        Launch = launch;
        Identity = identity;
        Peer = peer;
        CreatedAt = createdAt;
        ExpiresAt = expiresAt;
    }

    public int ConnectionId { get; }
    /// <summary>The same session's name in the keybroker protocol (a random UUID).</summary>
    public Guid LaunchId { get; }
    public LaunchSession Launch { get; }
    public PlatformIdentity Identity { get; }
    public PlatformKind Platform => Identity.Platform;
    public string Peer { get; }
    public DateTimeOffset CreatedAt { get; }
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>Who opened it (<c>ClientIdentity</c>), for the per-client bound.</summary>
    public string Client { get; init; } = "";

    /// <summary>Estimated bytes held (see <see cref="FootprintOf"/>), for the memory bound.</summary>
    public long Footprint { get; init; }

    /// <summary>Set when a secret request first took the session (changed only by the store, under its lock).</summary>
    public bool SecretRequested { get; internal set; }

    /// <summary>What a session holds: GODH, session blob, TEK and TIK, the evidence kept for re-verification, and
    /// about 512 bytes of objects and index entries around them.</summary>
    public static long FootprintOf(LaunchSession launch, PlatformIdentity identity) =>
        512L + launch.GodhCertificate.Length + launch.SessionBlob.Length + launch.Tek.Length + launch.Tik.Length
        + (identity.Evidence.PdhCertificate?.Length ?? 0) + (identity.Evidence.CertificateChain?.Length ?? 0);

    /// <summary>Failed measurement attempts so far (changed only by the store, under its lock).</summary>
    public int FailedAttempts { get; internal set; }

    public void Dispose() => Launch.Dispose();

    public override string ToString() => $"LiveSession({ConnectionId}, {Platform}, expires {ExpiresAt:O})";
}
