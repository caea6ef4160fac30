using GuestOwnerProxy.Server.Policy;
namespace GuestOwnerProxy.Server.KeyBroker;

/// <summary>A keybroker GetSecret request after wire-level validation: base64 decoded, ids parsed, entries typed.</summary>
public sealed record KeyBrokerSecretQuery(
    Guid LaunchId,
    byte[] LaunchMeasurement,
    byte[]? FwDigest,
    string KeysetId,
    uint Policy,
    int ApiMajor,
    int ApiMinor,
    long BuildId,
    IReadOnlyList<SecretEntryRequest> Entries);
