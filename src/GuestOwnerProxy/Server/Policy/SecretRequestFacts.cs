
namespace GuestOwnerProxy.Server.Policy;

/// <summary>What a secret request claims, as the domain sees it (policy as raw u32 bits, build id widened).</summary>
public sealed record SecretRequestFacts(
    string KeysetId,
    uint Policy,
    int ApiMajor,
    int ApiMinor,
    long BuildId,
    int ConnectionId,
    byte[] LaunchMeasurement,
    string Peer)
{
    /// <summary>Keybroker: the session by UUID instead of <see cref="ConnectionId"/>.</summary>
    public Guid? LaunchId { get; init; }

    /// <summary>Keybroker: the launch digest the host claims. Accepted only when it is one of the keyset's
    /// digests; it then narrows the candidates the measurement is checked against.</summary>
    public byte[]? FwDigest { get; init; }

    /// <summary>Keybroker: the entries to put in the secret table. Null: the keyset bundle at the keyset's secret-guid (Setup).</summary>
    public IReadOnlyList<SecretEntryRequest>? Entries { get; init; }

    public string Protocol => LaunchId is null ? "setup" : "keybroker";
}
