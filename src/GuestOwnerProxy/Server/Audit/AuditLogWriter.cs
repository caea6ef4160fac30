using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Audit;

/// <summary>
/// How decisions reach the audit log: a failed write (disk full, file removed, permissions) never changes
/// the decision or the status the client gets. It is logged at Error level to the normal log with the
/// record's public facts, so the decision is not lost silently. See README "Decisions": a failed audit
/// write does not block a release, because by then the session is already consumed.
/// </summary>
public static class AuditLogWriter
{
    /// <returns>false when the record could not be written (counted by the metrics).</returns>
    public static bool WriteSafely(this IAuditLog audit, AuditRecord record, ILogger logger)
    {
        try
        {
            audit.Write(record);
            return true;
        }
        catch (Exception ex)
        {
            logger.LogError(
                "AUDIT LOG WRITE FAILED ({ExceptionType}: {Problem}); the decision stands but is NOT in the audit log: {Event} {Decision} {Reason}, connection {ConnectionId}, launch id {LaunchId}, keyset {Keyset}, peer {Peer}",
                ex.GetType().Name, ex.Message, record.Event, record.Decision, record.Reason ?? "-", record.ConnectionId, record.LaunchId,
                record.Keyset, record.Peer);
            return false;
        }
    }
}
