using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GuestOwnerProxy.Server.Audit;

/// <summary>
/// Audit records as JSON lines appended to one file. Each record is written and flushed under a lock,
/// so lines never interleave and a crash loses at most the record being written. The file is opened
/// in append mode and never truncated or rewritten.
/// </summary>
public sealed class JsonLinesAuditLog : IAuditLog, IDisposable
{
    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    private readonly FileStream _stream;
    private readonly Lock _lock = new();

    public JsonLinesAuditLog(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);
        _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    public string Path { get; }

    public void Write(AuditRecord record)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(record, Json);
        lock (_lock)
        {
            _stream.Write(line);
            _stream.WriteByte((byte)'\n');
            _stream.Flush(flushToDisk: false);
        }
    }

    public void Dispose()
    {
        lock (_lock)
            _stream.Dispose();
    }

    public static AuditRecord Parse(string line) =>
        JsonSerializer.Deserialize<AuditRecord>(line, Json) ?? throw new FormatException("empty audit line");

    internal static string Encode(AuditRecord record) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(record, Json));
}
