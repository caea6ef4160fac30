using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using GuestOwnerProxy.Server.Logging;

namespace GuestOwnerProxy.Server.Audit;

/// <summary>
/// Audit records as JSON lines appended to one file through <see cref="AppendOnlyFile"/>: each record is one
/// <c>write(2)</c> of the whole line to a file opened <c>O_APPEND</c> (rotation by copytruncate or rename, and a
/// second instance on the same path, keep every record whole), synced per the <c>AuditLogSync</c> setting, never a
/// partial line left behind by a full disk. The file is never rewritten.
/// </summary>
public sealed class JsonLinesAuditLog(AppendOnlyFile file) : IAuditLog
{
    public string Path => file.Path;

    /// <summary>A denial's record is written at once and flushed right after without holding up the answer; a record
    /// whose answer gives something away (an issued bundle, a released secret) is on disk before the answer goes.</summary>
    public void Write(AuditRecord record) => file.Append(Line(record), waitForDisk: !record.IsDenial);

    /// <summary>The record's JSON and its newline in one buffer: what one write call appends.</summary>
    internal static byte[] Line(AuditRecord record)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(record, AuditJson.Default.AuditRecord);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    public static AuditRecord Parse(string line) =>
        JsonSerializer.Deserialize(line, AuditJson.Default.AuditRecord) ?? throw new FormatException("empty audit line");

    internal static string Encode(AuditRecord record) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(record, AuditJson.Default.AuditRecord));
}

/// <summary>
/// The audit line's JSON, generated at build time (no reflection: the native build has none to spare): one record per
/// line, absent fields left out rather than written as null.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJson : JsonSerializerContext;
