using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Audit;

/// <summary>
/// How decisions reach the audit log: a failed write (disk full, file removed, permissions) never changes
/// the decision or the status the client gets. It is logged at Error level to the normal log with the
/// record's public facts, so the decision is not lost silently, and counted in <see cref="AuditWriteFailures"/>.
/// See README "Decisions": a failed audit write does not block a release, because by then the session is already consumed.
/// </summary>
public static class AuditLogWriter
{
    public static void WriteSafely(this IAuditLog audit, AuditRecord record, ILogger logger, AuditWriteFailures? failures = null)
    {
        try
        {
            audit.Write(record);
        }
        catch (Exception ex)
        {
            failures?.Add(record, ex);
            logger.LogError(
                "AUDIT LOG WRITE FAILED ({ExceptionType}: {Problem}); the decision stands but is NOT in the audit log: {Event} {Decision} {Reason}, connection {ConnectionId}, launch id {LaunchId}, keyset {Keyset}, peer {Peer}",
                ex.GetType().Name, ex.Message, record.Event, record.Decision, record.Reason ?? "-", record.ConnectionId, record.LaunchId,
                record.Keyset, record.Peer);
        }
    }
}

/// <summary>
/// Audit records that could not be written, for the metrics (<c>gop_audit_write_failures_total</c>): a count and an
/// event per failure. The one place a failed audit write is counted; subscribers must not throw or block.
/// </summary>
public sealed class AuditWriteFailures
{
    private long _count;

    /// <summary>Raised once per record that did not reach the audit log, with the record's event and the error.</summary>
    public event Action<AuditRecord, Exception>? Failed;

    public long Count => Interlocked.Read(ref _count);

    internal void Add(AuditRecord record, Exception error)
    {
        Interlocked.Increment(ref _count);
        Failed?.Invoke(record, error);
    }
}
