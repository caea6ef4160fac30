using System.Text.Json;

namespace GuestOwnerProxy.LoadTest.Tests;

/// <summary>
/// The load test as bench/compare.sh runs it: a real <c>gop serve</c> process started on its own from the
/// configuration <c>--prepare-server</c> writes, then the built load test driving it over loopback with --target and
/// --server-pid, its result read back from --json-out. No timing is asserted: only that the figures are there and
/// belong to the server process.
/// </summary>
public sealed class SeparateServerTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static GopResult RunLoadTest(params string[] args) => LoadTestProcess.Run(args);

    private static string RepoRoot => LoadTestProcess.RepoRoot;

    /// <summary>--prepare-server, then gop serve in Production with exactly those settings (and its defaults otherwise).</summary>
    private GopServer StartServer()
    {
        string config = _dir.File("server");
        var prepared = RunLoadTest("--prepare-server", config, "--repo", RepoRoot);
        Assert.True(prepared.ExitCode == 0, prepared.ToString());
        string[] settings = File.ReadAllLines(Path.Combine(config, ServerSetup.ArgumentsFile));
        Assert.Contains(settings, s => s.StartsWith("--GuestOwnerProxy:KeysetsFile=", StringComparison.Ordinal));
        // The simulated hosts' files for other clients (gop client GetBundle -k -t): a PDH certificate and PEK ‖ OCA ‖ CEK.
        foreach (var kind in new[] { "sev", "csv" })
        {
            Assert.Equal(2084, new FileInfo(Path.Combine(config, kind, "pdh.cert")).Length);
            Assert.Equal(3 * 2084, new FileInfo(Path.Combine(config, kind, "cert_chain.cert")).Length);
        }
        return GopServer.Start(config, ["--environment", "Production", "--GuestOwnerProxy:ListenAddress=127.0.0.1", .. settings]);
    }

    private JsonElement Result(string name) => JsonDocument.Parse(File.ReadAllText(_dir.File(name))).RootElement;

    [Fact]
    public void Launches_against_a_separate_server_report_that_servers_cpu_and_memory()
    {
        using var server = StartServer();
        string config = _dir.File("server");
        var run = RunLoadTest("--target", server.Address, "--server-pid", server.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--platform", "sev", "--concurrency", "2", "--launches", "12", "--warmup", "2", "--pool", "1",
            "--ovmf", Path.Combine(config, ServerSetup.ImageFile), "--keys", Path.Combine(config, ServerSetup.KeysFile),
            "--json-out", _dir.File("launch.json"));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"server process {server.Pid} (dotnet) listens on port {server.Port}", run.Stdout);

        var json = Result("launch.json");
        Assert.Equal("launch", json.GetProperty("options").GetProperty("mode").GetString());
        Assert.False(json.GetProperty("options").GetProperty("inProcess").GetBoolean());
        var result = json.GetProperty("result");
        Assert.Equal(12, result.GetProperty("succeeded").GetInt32());
        Assert.Equal(0, result.GetProperty("failed").GetInt32());
        Assert.Equal(24, result.GetProperty("requests").GetInt32());
        Assert.Equal(12, result.GetProperty("latenciesMs").GetProperty("launch (total)").GetProperty("count").GetInt32());

        var s = json.GetProperty("server");
        Assert.Equal(server.Pid, s.GetProperty("pid").GetInt32());
        Assert.Equal(ClockTicks.PerSecond, s.GetProperty("clockTicksPerSecond").GetInt64());
        // Twelve SEV launches (chain, ECDH, secret, audit records) cost the server some CPU: the sampling works.
        double cpuMs = s.GetProperty("cpuMs").GetDouble();
        Assert.True(cpuMs > 0, $"server CPU {cpuMs} ms");
        Assert.Equal(cpuMs / 12, s.GetProperty("cpuMsPerOperation").GetDouble(), 6);
        Assert.Equal(cpuMs / 24, s.GetProperty("cpuMsPerRequest").GetDouble(), 6);
        long rssEnd = s.GetProperty("rssEndKiB").GetInt64();
        Assert.True(rssEnd > 0);
        Assert.True(s.GetProperty("rssPeakKiB").GetInt64() >= rssEnd);

        var machine = json.GetProperty("machine");
        Assert.Equal(Environment.ProcessorCount, machine.GetProperty("cores").GetInt32());
        Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), machine.GetProperty("kernel").GetString());
    }

    [Theory]
    [InlineData("keyset")]
    [InlineData("connection")]
    public void Refusals_are_counted_only_when_refused_for_the_reason_asked(string deny)
    {
        using var server = StartServer();
        var run = RunLoadTest("--target", server.Address, "--server-pid", server.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--mode", "refused", "--deny", deny, "--platform", "sev", "--concurrency", "2", "--launches", "40", "--warmup", "2",
            "--json-out", _dir.File("refused.json"));
        Assert.True(run.ExitCode == 0, run.ToString());
        var json = Result("refused.json");
        Assert.Equal(deny == "keyset" ? "KEYSET INVALID" : "CONNECTION ID INVALID", json.GetProperty("options").GetProperty("expectedRefusal").GetString());
        Assert.Equal(40, json.GetProperty("result").GetProperty("succeeded").GetInt32());
        Assert.Equal(40, json.GetProperty("result").GetProperty("requests").GetInt32());
        Assert.Empty(json.GetProperty("result").GetProperty("errors").EnumerateObject());
        Assert.True(json.GetProperty("server").GetProperty("cpuMs").GetDouble() >= 0);
        // Each refusal was audited by the server: the requests really reached it.
        Assert.True(File.ReadAllLines(Path.Combine(_dir.File("server"), ServerSetup.AuditFile)).Length >= 42);
    }

    [Fact]
    public void What_the_target_refused_is_reported_by_method_status_and_detail()
    {
        using var server = StartServer();
        string config = _dir.File("server");
        // A keyset this server does not have: every launch gets its bundle, then the secret is refused.
        var run = RunLoadTest("--target", server.Address, "--keyset", "NOT-CONFIGURED", "--platform", "csv", "--concurrency", "1",
            "--launches", "3", "--warmup", "0", "--pool", "1", "--ovmf", Path.Combine(config, ServerSetup.ImageFile), "--json-out", _dir.File("denied.json"));
        Assert.Equal(1, run.ExitCode);
        const string expected = "GetLaunchSecret refused: InvalidArgument \"KEYSET INVALID\" (reason KEYSET_INVALID)";
        Assert.Contains("error x3: " + expected, run.Stdout);
        var errors = Result("denied.json").GetProperty("result").GetProperty("errors");
        Assert.Equal(3, errors.GetProperty(expected).GetInt32());
        Assert.True(Result("denied.json").GetProperty("server").ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public void A_server_pid_that_does_not_listen_on_the_target_port_is_refused_before_measuring()
    {
        using var server = StartServer();
        var run = RunLoadTest("--target", server.Address, "--server-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--mode", "refused", "--launches", "5", "--warmup", "0", "--json-out", _dir.File("never.json"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--server-pid: process {Environment.ProcessId} (", run.Stderr);
        Assert.Contains($"does not listen on port {server.Port}", run.Stderr);
        Assert.False(File.Exists(_dir.File("never.json")));
    }
}
