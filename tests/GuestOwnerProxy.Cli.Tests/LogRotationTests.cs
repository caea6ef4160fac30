using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GuestOwnerProxy.Tests.Logging;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// The audit log and the <c>-l</c> file under the rotations operators run, on a real <c>gop serve</c> process with
/// real files: logrotate's copytruncate, rename then <c>kill -HUP</c>, a rename or delete without a signal, two
/// instances on one file, and a full file system (a small tmpfs).
/// </summary>
public sealed class LogRotationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Audit => _dir.File("audit.jsonl");
    private string LogFile => _dir.File("gop.log");

    /// <summary>The shipped keysets in Production; audit and -l file in the temp folder.</summary>
    private GopServer Start(string audit, params string[] settings) => StartUnder(null, audit, settings);

    /// <param name="launcher"><c>nohup</c> starts the server with SIGHUP ignored, as a shell's nohup or a parent that
    /// ignores it leaves it (the disposition is inherited).</param>
    private GopServer StartUnder(string? launcher, string audit, params string[] settings)
    {
        string[] args = ["--environment", "Production", "--GuestOwnerProxy:ListenAddress=127.0.0.1", $"--GuestOwnerProxy:AuditLog={audit}", .. settings];
        return launcher is null ? GopServer.Start(QuickStartTests.RepoRoot, args) : GopServer.StartUnder(launcher, QuickStartTests.RepoRoot, args);
    }

    /// <summary>
    /// <paramref name="count"/> secret requests whose body is not a SecretRequest: each is refused (INVALID_ARGUMENT)
    /// and audited before the answer is sent, so every answered request is one record in the file.
    /// </summary>
    private static async Task SendAuditedRequests(int port, int count)
    {
        using var http = new HttpClient();
        for (int i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/Setup/GetLaunchSecret")
            {
                // h2c with prior knowledge, as gRPC clients speak to the default endpoint.
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                // One gRPC frame: uncompressed, 4 bytes that are no protobuf message.
                Content = new ByteArrayContent([0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
            request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            var status = response.Headers.TryGetValues("grpc-status", out var h) ? h.Single()
                : response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.Single() : null;
            // INVALID_ARGUMENT: the broker saw it, so it is audited.
            Assert.True(status == "3", $"HTTP {(int)response.StatusCode} {response.Version}, headers {response.Headers}, trailers {response.TrailingHeaders}");
        }
    }

    /// <summary>The file's records; fails on a NUL byte, a line that is not one whole JSON record, or a missing final newline.</summary>
    private static List<JsonElement> Records(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.False(bytes.Contains((byte)0), $"{path} has NUL bytes");
        if (bytes.Length == 0)
            return [];
        Assert.True(bytes[^1] == (byte)'\n', $"{path} ends in a partial line");
        var records = new List<JsonElement>();
        foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n')[..^1])
        {
            using var json = JsonDocument.Parse(line);
            records.Add(json.RootElement.Clone());
        }
        return records;
    }

    [Fact]
    public async Task Copytruncate_loses_no_record_and_leaves_no_NUL_byte()
    {
        using var server = Start(Audit, "-l", LogFile, "--GuestOwnerProxy:ReloadInterval=00:00:00");
        await SendAuditedRequests(server.Port, 20);
        foreach (var path in new[] { Audit, LogFile })
        {
            // logrotate's copytruncate: copy, then truncate in place; the server keeps its descriptors.
            File.Copy(path, path + ".1");
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            file.SetLength(0);
        }
        await SendAuditedRequests(server.Port, 15);

        Assert.Equal(20, Records(Audit + ".1").Count);
        var current = Records(Audit);
        Assert.Equal(15, current.Count);
        Assert.All(current, r => Assert.Equal("REQUEST_MALFORMED", r.GetProperty("reason").GetString()));
        Records(LogFile + ".1");
        Records(LogFile);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rename_then_HUP_loses_no_record_and_the_server_keeps_running(bool startedWithHangupIgnored)
    {
        using var server = StartUnder(startedWithHangupIgnored ? "nohup" : null, Audit, "-l", LogFile, "--GuestOwnerProxy:ReloadInterval=00:00:00");
        if (startedWithHangupIgnored)
            server.WaitForLog("SIGHUP was ignored by this process's parent");
        await SendAuditedRequests(server.Port, 12);
        // logrotate's default (create): rename; records keep going to the renamed file until the signal.
        File.Move(Audit, Audit + ".1");
        File.Move(LogFile, LogFile + ".1");
        await SendAuditedRequests(server.Port, 3);
        server.Signal("HUP");
        server.WaitForLog("SIGHUP: log files reopened");
        await SendAuditedRequests(server.Port, 10);

        Assert.False(server.HasExited, server.Log);
        Assert.Equal(15, Records(Audit + ".1").Count);
        Assert.Equal(10, Records(Audit).Count);
        // The -l file was reopened too: the new one has the SIGHUP line (logged after the reopen), as compact JSON.
        var log = Records(LogFile);
        Assert.Contains(log, e => e.GetProperty("@mt").GetString() == "SIGHUP: log files reopened");
        Assert.DoesNotContain(Records(LogFile + ".1"), e => e.GetProperty("@mt").GetString() == "SIGHUP: log files reopened");

        // A second HUP with nothing renamed is harmless.
        server.Signal("HUP");
        server.WaitForLog("SIGHUP: log files reopened", count: 2);
        await SendAuditedRequests(server.Port, 1);
        Assert.Equal(11, Records(Audit).Count);
        server.Signal("TERM");
        Assert.Equal(0, server.WaitForExit());
    }

    [Fact]
    public async Task A_deleted_or_renamed_file_is_noticed_on_the_reload_poll_and_created_again()
    {
        using var server = Start(Audit, "--GuestOwnerProxy:ReloadInterval=00:00:00.2");
        await SendAuditedRequests(server.Port, 5);
        File.Delete(Audit);
        server.WaitForLog("was renamed or deleted");
        await SendAuditedRequests(server.Port, 4);
        Assert.Equal(4, Records(Audit).Count);

        File.Move(Audit, Audit + ".1");
        server.WaitForLog("was renamed or deleted", count: 2);
        await SendAuditedRequests(server.Port, 2);
        Assert.Equal(4, Records(Audit + ".1").Count);
        Assert.Equal(2, Records(Audit).Count);
    }

    [Fact]
    public async Task Two_servers_appending_to_one_audit_file_keep_every_record()
    {
        using var first = Start(Audit, "--GuestOwnerProxy:ReloadInterval=00:00:00");
        using var second = Start(Audit, "--GuestOwnerProxy:ReloadInterval=00:00:00");
        await Task.WhenAll(SendAuditedRequests(first.Port, 40), SendAuditedRequests(second.Port, 40));

        var records = Records(Audit);
        Assert.Equal(80, records.Count);
        Assert.All(records, r => Assert.Equal("denied", r.GetProperty("decision").GetString()));
    }

    [TmpfsFact]
    public async Task A_full_file_system_leaves_no_partial_line()
    {
        // 8 KiB: about 30 records fit; then every write is refused (rolled back when it was cut short).
        using var tmpfs = new TmpfsMount(8);
        var audit = tmpfs.File("audit.jsonl");
        using var server = Start(audit, "--GuestOwnerProxy:ReloadInterval=00:00:00");
        int sent = 0;
        while (!server.Log.Contains("AUDIT LOG WRITE FAILED", StringComparison.Ordinal))
        {
            Assert.True(sent < 500, "the audit log never filled the 8 KiB file system:\n" + server.Log);
            await SendAuditedRequests(server.Port, 1);
            sent++;
        }
        await SendAuditedRequests(server.Port, 5);
        sent += 5;
        var whenFull = Records(audit);
        Assert.InRange(whenFull.Count, 10, sent - 6);

        // Room again: the next records are whole lines of their own.
        tmpfs.Resize(256);
        await SendAuditedRequests(server.Port, 5);
        sent += 5;
        var records = Records(audit);
        Assert.Equal(whenFull.Count + 5, records.Count);
        int failures = server.Log.Split('\n').Count(l => l.Contains("AUDIT LOG WRITE FAILED", StringComparison.Ordinal));
        Assert.Equal(sent, records.Count + failures);
        Assert.False(server.HasExited, server.Log);
    }
}
