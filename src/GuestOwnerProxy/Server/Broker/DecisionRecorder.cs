using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Logging;
using GuestOwnerProxy.Server.Observability;
using GuestOwnerProxy.Server.Policy;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Broker;

/// <summary>What the issuer and the releaser share: the configuration in force, the sessions, the platforms,
/// randomness (the OS CSPRNG in production), the audit, and the verified chains (a host presents the same chain for
/// every VM: verified once per trust version, at the bundle and again at the secret when the trust changed).</summary>
public sealed record BrokerDependencies(
    IBrokerConfigurationSource Configuration,
    ISessionStore Sessions,
    IPlatformRegistry Platforms,
    IRandomSource Random,
    DecisionRecorder Recorder,
    ChainVerificationCache Chains);

/// <summary>
/// Where the broker's decisions become audit records, for both protocols: the issuer and the releaser
/// start a record, fill it as facts are established and write it once; requests refused before they reach
/// either (malformed wire fields) are recorded through <see cref="RefuseAtEdge"/>, so every refusal is
/// audited by the broker, never by an adapter.
/// </summary>
public sealed class DecisionRecorder
{
    private readonly IAuditLog _audit;
    private readonly TimeProvider _time;
    private readonly ILogger<DecisionRecorder> _logger;
    private readonly RepeatedLogLimiter _edgeLines;
    private readonly AuditWriteFailures? _failures;
    private readonly GopMetrics? _metrics;

    /// <param name="failures">Counts records that could not be written (the metrics read it); none in tools and tests.</param>
    /// <param name="metrics">Counts every decision written here (null: not counted, as in unit tests and the fuzz rig).</param>
    public DecisionRecorder(IAuditLog audit, TimeProvider time, ILogger<DecisionRecorder> logger, AuditWriteFailures? failures = null,
        GopMetrics? metrics = null)
    {
        _audit = audit;
        _failures = failures;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        // Every refusal's log line passes here: the first of a kind per interval is written, the rest are counted and
        // summarised once per interval; the audit keeps every one.
        _edgeLines = new RepeatedLogLimiter(time, summarize: (kind, count, interval) =>
            _logger.LogWarning("{Count} more refusals of kind {Kind} in the last {Seconds:0} s, not logged one by one (each is in the audit log)",
                count, kind, interval.TotalSeconds));
    }

    /// <summary>True when the log line of this denial should be written now: the first of its kind (protocol, event,
    /// reason) in an interval; the others are counted into one summary line per interval.</summary>
    public bool ShouldLogDenial(BrokerProtocol protocol, AuditEvent auditEvent, DenialReason reason) =>
        _edgeLines.ShouldLog($"{AuditNames.Of(protocol)} {AuditNames.Of(auditEvent)} {reason.Code}", out _);

    public AuditRecord Start(AuditEvent auditEvent, BrokerProtocol protocol, string peer) =>
        AuditRecord.Of(_time.GetUtcNow(), auditEvent, protocol, peer);

    /// <summary>Writes the record and counts the decision; a failed write never changes the decision (see
    /// <see cref="AuditLogWriter"/>). Every decision of both protocols passes here once, so the metrics count each once.</summary>
    public void Write(AuditRecord record)
    {
        _metrics?.Decided(record);
        _audit.WriteSafely(record, _logger, _failures);
    }

    /// <summary>Audits and logs a request refused at the protocol edge (its fields did not parse) and returns the denial.</summary>
    /// <param name="launchId">The launch id as sent, if any (quoted; only plausible lengths are kept).</param>
    public BrokerDecision<T> RefuseAtEdge<T>(AuditEvent auditEvent, BrokerProtocol protocol, string peer, DenialReason reason,
        uint? policy = null, string? launchId = null) where T : class
    {
        var record = Start(auditEvent, protocol, peer) with
        {
            LaunchId = launchId is { Length: > 0 and <= 64 } ? ClientText.Quote(launchId) : null,
        };
        if (policy is { } p)
            record = record.WithPolicy(p);
        Write(record.DeniedFor(reason));
        // One line per kind of refusal and interval: a client sending garbage in a loop must not fill the disk.
        // The audit above keeps every one.
        if (_edgeLines.ShouldLog($"{AuditNames.Of(protocol)} {AuditNames.Of(auditEvent)} {reason.Code} (at the edge)", out int suppressed))
            _logger.LogWarning("{Protocol} {Event} refused ({Reason}): {Detail}; peer {Peer}{Repeats}",
                AuditNames.Of(protocol), AuditNames.Of(auditEvent), reason.Code, reason.Detail, peer,
                suppressed > 0 ? $" ({suppressed} more like it in the last {_edgeLines.Interval.TotalSeconds:0} s, not logged)" : "");
        return BrokerDecision<T>.Denied(reason);
    }
}
