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
    string Peer);
