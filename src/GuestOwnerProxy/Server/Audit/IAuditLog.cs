namespace GuestOwnerProxy.Server.Audit;

/// <summary>Append-only record of every bundle and secret decision.</summary>
public interface IAuditLog
{
    void Write(AuditRecord record);
}

/// <summary>Used when no audit path is configured (warned at start-up).</summary>
public sealed class NullAuditLog : IAuditLog
{
    public void Write(AuditRecord record) { }
}
