using System.Diagnostics;
using System.Diagnostics.Metrics;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Sessions;

namespace GuestOwnerProxy.Server.Observability;

/// <summary>
/// Every metric the proxy exports, in one place (the Prometheus exporter turns <c>gop.bundles</c> into
/// <c>gop_bundles_total</c> and unit <c>s</c> into <c>_seconds</c>; the names below are what a dashboard sees).
/// Labels take bounded values only: platform and protocol words, decisions, denial reason codes
/// (<c>Policy/DenialReason</c>), formula names, gRPC method paths of the mapped services and status codes. Never a
/// connection or launch id, a keyset id (client text) or a peer address.
/// Decisions are pushed by <c>Broker/DecisionRecorder</c> (so each one is counted once, where it is audited);
/// the rest is read from the components that keep the counts (chain cache, configuration and settings stores,
/// the metered session store, the audit's <c>AuditWriteFailures</c>) when Prometheus scrapes.
/// </summary>
public sealed class GopMetrics
{
    public const string MeterName = "GuestOwnerProxy";

    private readonly Counter<long> _bundles;
    private readonly Counter<long> _secrets;
    private readonly Counter<long> _formulaMatches;
    private readonly Histogram<double> _requestDuration;

    public GopMetrics(IMeterFactory meters, MeteredSessionStore sessions, ChainVerificationCache chains,
        BrokerConfigurationStore configuration, ServerSettings settings, AuditWriteFailures auditFailures)
    {
        var meter = meters.Create(MeterName);
        _bundles = meter.CreateCounter<long>("gop.bundles", description:
            "Launch bundle decisions by platform, protocol, outcome (issued/denied) and denial reason code");
        _secrets = meter.CreateCounter<long>("gop.secrets", description:
            "Launch secret decisions by platform, protocol, outcome (released/denied) and denial reason code");
        _formulaMatches = meter.CreateCounter<long>("gop.measurement.formula.matches", description:
            "Secret requests whose measurement matched, by platform and measurement formula");
        meter.CreateObservableCounter("gop.audit.write.failures", () => auditFailures.Count, description:
            "Audit records that could not be written (the decision stood; see the AUDIT LOG WRITE FAILED log line)");
        _requestDuration = meter.CreateHistogram("gop.grpc.request.duration", unit: "s",
            description: "Duration of unary gRPC calls by method and status code",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

        meter.CreateObservableCounter("gop.chain.cache.lookups", () => new[]
        {
            new Measurement<long>(chains.Hits, new TagList { { "result", "hit" } }),
            new Measurement<long>(chains.Misses, new TagList { { "result", "miss" } }),
        }, description: "Certificate chain verifications answered from the cache (hit) or verified (miss)");
        meter.CreateObservableCounter("gop.config.reloads", () => new[]
        {
            Reload("files", "accepted", configuration.AcceptedReloads),
            Reload("files", "rejected", configuration.RejectedReloads),
            Reload("settings", "accepted", settings.AcceptedChanges),
            Reload("settings", "rejected", settings.RejectedChanges),
        }, description: "Reloads of keysets/keys/trust/image files and of appsettings, accepted or rejected");
        meter.CreateObservableCounter("gop.session.store.errors", () =>
            Enum.GetValues<SessionStoreOperation>().Select(operation => new Measurement<long>(sessions.Errors(operation),
                new TagList { { "operation", OperationName(operation) } })),
            description: "Session store operations that failed (store unreachable or broken), by operation");
        meter.CreateObservableGauge("gop.sessions.live", () => LiveSessions(sessions),
            description: "Live launch sessions (bundle issued, secret not yet released, not expired)");
    }

    /// <summary>From 1 ms (a cached SEV bundle) to 10 s (a request queued behind a CPU-bound burst).</summary>
    private static readonly IReadOnlyList<double> LatencyBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>One broker decision, as audited. Called by the decision recorder only.</summary>
    public void Decided(AuditRecord record)
    {
        var tags = new TagList
        {
            { "platform", record.Platform ?? "unknown" },
            { "protocol", record.Protocol ?? "unknown" },
            { "outcome", record.Decision },
            { "reason", record.Reason ?? "" },
        };
        if (record.Event == AuditNames.Of(AuditEvent.Bundle))
        {
            _bundles.Add(1, tags);
            return;
        }
        _secrets.Add(1, tags);
        if (record.Formula is { } formula)
            _formulaMatches.Add(1, new TagList { { "platform", record.Platform ?? "unknown" }, { "formula", formula } });
    }

    /// <param name="method">The routed gRPC method path (only mapped methods reach the interceptor that calls this).</param>
    public void RequestCompleted(string method, string status, TimeSpan elapsed) =>
        _requestDuration.Record(elapsed.TotalSeconds, new TagList { { "method", method }, { "code", status } });

    public static string OperationName(SessionStoreOperation operation) => operation switch
    {
        SessionStoreOperation.Add => "add",
        SessionStoreOperation.Acquire => "acquire",
        SessionStoreOperation.Complete => "complete",
        SessionStoreOperation.FailedAttempt => "failed_attempt",
        SessionStoreOperation.Close => "close",
        SessionStoreOperation.Count => "count",
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    private static Measurement<long> Reload(string source, string result, int count) => new(count,
        new TagList { { "source", source }, { "result", result } });

    /// <summary>A scrape must not hang on a store in another process: a count that takes longer reports nothing (and is not an error).</summary>
    private static IEnumerable<Measurement<int>> LiveSessions(MeteredSessionStore sessions)
    {
        int count;
        try
        {
            var pending = sessions.CountAsync();
            if (pending.IsCompleted)
                count = pending.Result;
            else
            {
                var task = pending.AsTask();
                if (!task.Wait(TimeSpan.FromSeconds(2)))
                    return [];
                count = task.Result;
            }
        }
        catch (Exception)
        {
            // Counted by the metered store as a "count" error.
            return [];
        }
        return [new Measurement<int>(count)];
    }
}
