using System.Text.Json.Serialization;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Policy;

namespace GuestOwnerProxy.Server.Audit;

/// <summary>What was asked for.</summary>
public enum AuditEvent
{
    Bundle,
    Secret,
    /// <summary>keybroker's GetOnlineSecret (refused: not served).</summary>
    OnlineSecret,
}

/// <summary>What the broker decided.</summary>
public enum AuditDecision
{
    Issued,
    Released,
    Denied,
}

/// <summary>The audit log's words for the typed events: the one place they are spelled (the JSON lines keep them).</summary>
public static class AuditNames
{
    public static string Of(AuditEvent value) => value switch
    {
        AuditEvent.Bundle => "bundle",
        AuditEvent.Secret => "secret",
        AuditEvent.OnlineSecret => "online-secret",
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    public static string Of(AuditDecision value) => value switch
    {
        AuditDecision.Issued => "issued",
        AuditDecision.Released => "released",
        AuditDecision.Denied => "denied",
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    public static string Of(BrokerProtocol value) => value switch
    {
        BrokerProtocol.Setup => "setup",
        BrokerProtocol.KeyBroker => "keybroker",
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    /// <summary>Policy as 0x-prefixed hex of the raw u32 bits.</summary>
    public static string Policy(uint policy) => $"0x{policy:x8}";
}

/// <summary>
/// One decision, as one JSON line. Only public facts: never TEK/TIK, keys, secret tables or
/// measurements (a measurement is useless without the TIK, but there is no reason to keep it).
/// </summary>
public sealed record AuditRecord
{
    /// <summary>A record of <paramref name="auditEvent"/>, denied until a grant says otherwise (fail closed).</summary>
    public static AuditRecord Of(DateTimeOffset time, AuditEvent auditEvent, BrokerProtocol protocol, string peer) => new()
    {
        Time = time, Event = AuditNames.Of(auditEvent), Decision = AuditNames.Of(AuditDecision.Denied),
        Protocol = AuditNames.Of(protocol), Peer = peer,
    };

    public AuditRecord Granted(AuditDecision decision) => this with { Decision = AuditNames.Of(decision), Reason = null, Detail = null };

    public AuditRecord DeniedFor(DenialReason reason) =>
        this with { Decision = AuditNames.Of(AuditDecision.Denied), Reason = reason.Code, Detail = reason.Detail };

    public AuditRecord OnPlatform(PlatformKind platform) => this with { Platform = PlatformNames.Of(platform) };

    public AuditRecord WithPolicy(uint policy) => this with { Policy = AuditNames.Policy(policy) };

    [JsonPropertyName("time")] public required DateTimeOffset Time { get; init; }
    /// <summary>"bundle" or "secret".</summary>
    [JsonPropertyName("event")] public required string Event { get; init; }
    /// <summary>"issued", "released" or "denied".</summary>
    [JsonPropertyName("decision")] public required string Decision { get; init; }
    /// <summary>True for a refusal: nothing was given away, so its record need not be on disk before the answer.</summary>
    [JsonIgnore] public bool IsDenial => Decision == AuditNames.Of(AuditDecision.Denied);
    [JsonPropertyName("reason")] public string? Reason { get; init; }
    [JsonPropertyName("detail")] public string? Detail { get; init; }
    [JsonPropertyName("peer")] public string? Peer { get; init; }
    [JsonPropertyName("connection_id")] public int? ConnectionId { get; init; }
    /// <summary>The keybroker protocol's UUID for the same session.</summary>
    [JsonPropertyName("launch_id")] public string? LaunchId { get; init; }
    /// <summary>"setup" or "keybroker".</summary>
    [JsonPropertyName("protocol")] public string? Protocol { get; init; }
    [JsonPropertyName("platform")] public string? Platform { get; init; }
    /// <summary>Verified chip id (CEK key fingerprint); null when the chain was not verified.</summary>
    [JsonPropertyName("chip_id")] public string? ChipId { get; init; }
    [JsonPropertyName("chain_verified")] public bool? ChainVerified { get; init; }
    [JsonPropertyName("root")] public string? Root { get; init; }
    [JsonPropertyName("keyset")] public string? Keyset { get; init; }
    [JsonPropertyName("api_major")] public int? ApiMajor { get; init; }
    [JsonPropertyName("api_minor")] public int? ApiMinor { get; init; }
    [JsonPropertyName("build_id")] public long? BuildId { get; init; }
    /// <summary>Policy as 0x-prefixed hex of the raw u32 bits.</summary>
    [JsonPropertyName("policy")] public string? Policy { get; init; }
    /// <summary>Name of the matched image or allowed_digests entry.</summary>
    [JsonPropertyName("matched")] public string? Matched { get; init; }
    /// <summary>The matched launch digest (public: it is computed from public images).</summary>
    [JsonPropertyName("digest")] public string? Digest { get; init; }
    [JsonPropertyName("formula")] public string? Formula { get; init; }
    /// <summary>On a release: false when the measurement was not checked (unsafe mode).</summary>
    [JsonPropertyName("measurement_verified")] public bool? MeasurementVerified { get; init; }
    /// <summary>On a release: false when the matched formula does not cover the claimed build id (the keyset opted in)
    /// or the measurement was not checked; the build restriction then rests on the host's word.</summary>
    [JsonPropertyName("build_id_verified")] public bool? BuildIdVerified { get; init; }
    [JsonPropertyName("config_version")] public long? ConfigVersion { get; init; }
}
