using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Server.Policy;
using GuestOwnerProxy.Server.Sessions;

namespace GuestOwnerProxy.Server.Broker;

/// <summary>The two generations of the kata wire contract served over the same broker.</summary>
public enum BrokerProtocol
{
    /// <summary>The Python proxy's package-less <c>Setup</c> service: connection ids.</summary>
    Setup,
    /// <summary>simple-kbs's <c>keybroker.KeyBrokerService</c>: UUID launch ids, base64 fields.</summary>
    KeyBroker,
}

/// <summary>A bundle request as the domain sees it (policy as raw u32 bits).</summary>
/// <param name="Pdh">The PDH certificate; empty when the chain is a full export carrying it.</param>
/// <param name="Chain">PEK ‖ OCA ‖ CEK, a full export, or (with <paramref name="ChainIsExportFile"/>) one certificate file to split.</param>
/// <param name="ChainIsExportFile">keybroker: the chain is the platform's one exported file (PDH first), split by the platform registry.</param>
/// <param name="Client">Who asks (<c>ClientIdentity</c>: TLS client certificate or peer address), for the per-client bound.</param>
public sealed record BundleRequestFacts(byte[] Pdh, byte[] Chain, uint Policy, string Peer, BrokerProtocol Protocol, bool ChainIsExportFile = false)
{
    public string Client { get; init; } = Peer;
}

/// <summary>What goes back to the platform owner for LAUNCH_START (raw bytes; wire encoding is the adapter's job).</summary>
public sealed record LaunchBundle(int ConnectionId, Guid LaunchId, PlatformKind Platform, byte[] GodhCertificate, byte[] SessionBlob);

/// <summary>The LAUNCH_SECRET packet for QEMU (raw bytes).</summary>
public sealed record LaunchSecret(byte[] Header, byte[] Data);

/// <summary>What a secret request claims, as the domain sees it (policy as raw u32 bits, build id widened).</summary>
public sealed record SecretRequestFacts(
    SessionHandle Session,
    string KeysetId,
    uint Policy,
    int ApiMajor,
    int ApiMinor,
    long BuildId,
    byte[] LaunchMeasurement,
    string Peer)
{
    /// <summary>Keybroker: the launch digest the host claims. Accepted only when it is one of the keyset's
    /// digests; it then narrows the candidates the measurement is checked against.</summary>
    public byte[]? FwDigest { get; init; }

    /// <summary>Keybroker: the entries to put in the secret table. Null: the keyset bundle at the keyset's secret-guid (Setup).</summary>
    public IReadOnlyList<SecretEntryRequest>? Entries { get; init; }

    public BrokerProtocol Protocol => Session.Protocol;
}

/// <summary>
/// The broker's answer: granted with a value, or denied with a typed reason. The broker has already audited
/// and logged it; adapters only translate (a denial becomes a gRPC status at the one edge that maps them).
/// </summary>
public sealed class BrokerDecision<T> where T : class
{
    private BrokerDecision(T? value, DenialReason? denial)
    {
        Value = value;
        Denial = denial;
    }

    public T? Value { get; }
    public DenialReason? Denial { get; }
    public bool IsGranted => Value is not null;

    public static BrokerDecision<T> Granted(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    public static BrokerDecision<T> Denied(DenialReason reason) => new(null, reason ?? throw new ArgumentNullException(nameof(reason)));

    /// <summary>For the gRPC adapters: the value, or the denial raised for the interceptor that maps it to a status.</summary>
    public T OrDeny() => Value ?? throw new LaunchDeniedException(Denial!);
}
