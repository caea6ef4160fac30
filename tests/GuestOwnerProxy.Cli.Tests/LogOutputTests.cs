using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// What operators ship and pipe, with the real executable: the console log as JSON lines, the -l file's format,
/// a port in use as one line on stderr, and nothing but the command's output on stdout (also under dotnet run).
/// </summary>
public sealed class LogOutputTests : IDisposable
{
    private static readonly string Root = QuickStartTests.RepoRoot;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] Server(params string[] settings) =>
        ["--environment", "Production", "--GuestOwnerProxy:ListenAddress=127.0.0.1", $"--GuestOwnerProxy:AuditLog={_dir.File("audit.jsonl")}",
         "--GuestOwnerProxy:ReloadInterval=00:00:00", .. settings];

    [Fact]
    public void Log_format_json_writes_one_compact_JSON_object_per_line_and_nothing_twice()
    {
        using var server = GopServer.Start(Root, Server("--log-format", "json"));
        server.Signal("TERM");
        Assert.Equal(0, server.WaitForExit());

        var lines = server.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 5, server.Log);
        var events = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(events, e => Assert.True(e.TryGetProperty("@t", out _) && e.TryGetProperty("@mt", out _), e.ToString()));
        Assert.Single(events, e => e.GetProperty("@mt").GetString()!.StartsWith("Now listening on", StringComparison.Ordinal));
        Assert.Single(events, e => e.GetProperty("@mt").GetString()!.StartsWith("Guest owner proxy (", StringComparison.Ordinal));
        Assert.Single(events, e => e.GetProperty("@mt").GetString() == "Application is shutting down...");
        Assert.Equal(lines.Length, lines.Distinct().Count());
    }

    [Fact]
    public void Text_stays_the_console_default_and_the_log_file_format_is_selectable()
    {
        var file = _dir.File("gop.log");
        using var server = GopServer.Start(Root, Server("-l", file, "--log-file-format", "text"));
        server.Signal("TERM");
        Assert.Equal(0, server.WaitForExit());

        Assert.All(server.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Matches(@"^\[\d{4}-\d\d-\d\d ", l));
        var logged = File.ReadAllLines(file);
        Assert.Contains(logged, l => l.Contains("INF] Microsoft.Hosting.Lifetime: Now listening on: http://127.0.0.1:", StringComparison.Ordinal));
        Assert.All(logged, l => Assert.Matches(@"^\[\d{4}-\d\d-\d\d ", l));
    }

    [Fact]
    public void An_unknown_log_format_is_exit_2_naming_the_flag()
    {
        var r = Gop.RunIn(Root, Server("--log-format", "xml"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--log-format: 'xml' is not a log format (one of: text, json)", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public void A_port_in_use_is_one_line_on_stderr_exit_1_no_stack_trace(string format)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var r = Gop.RunIn(Root, ["-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. Server("--log-format", format)]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"gop: cannot listen: Failed to bind to address http://127.0.0.1:{port}: address already in use.\n", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stdout);
        Assert.DoesNotContain("Exception", r.Stdout);
    }

    /// <summary>Every command with --json, on the repository's own files: stdout is exactly one JSON document, whatever the verdict.</summary>
    public static TheoryData<string[]> JsonCommands => new()
    {
        new[] { "check-config", "--json" },
        new[] { "digest", "--platform", "csv", "--ovmf", "config/dev/demo/OVMF.fd", "--json" },
        new[] { "cert", "show", "config/dev/sev/ark.cert", "--json" },
        new[] { "cert", "verify", "--signer", "config/dev/csv/hrk.cert", "config/dev/csv/hrk.cert", "--json" },
        new[] { "chain", "verify", "--pdh", "config/dev/csv/pdh.cert", "--chain", "config/dev/csv/cert_chain.cert",
            "--hsk-cek", "config/dev/csv/hsk_cek.cert", "--root", "config/dev/csv/hrk.cert", "--json" },
        new[] { "secret", "build", "--platform", "sev", "--tek", new string('0', 32), "--tik", new string('1', 32),
            "--measurement", Convert.ToBase64String(new byte[32]), "--secret", "736869e5-84f0-4973-92ec-06879ce3da0b:keys.json", "--json" },
    };

    [Theory]
    [MemberData(nameof(JsonCommands))]
    public void Json_output_is_all_that_stdout_carries(string[] command)
    {
        var r = Gop.RunIn(Root, command);
        // 1 is a verification verdict (the development root is not a pinned one), still reported as JSON.
        Assert.True(r.ExitCode is 0 or 1, r.ToString());
        using var json = JsonDocument.Parse(r.Stdout);
    }

    [Fact]
    public void Under_dotnet_run_without_the_launch_profile_stdout_is_the_command_output_alone()
    {
        // The documented way to pipe from a checkout: with the launch profile, dotnet run itself prints
        // "Using launch settings from ..." on stdout first (the SDK's line, not gop's).
        var project = Path.Combine(Root, "src", "GuestOwnerProxy");
        var configuration = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Gop.Dll)!)!);
        var info = new ProcessStartInfo("dotnet", ["run", "--no-build", "--no-launch-profile", "-c", configuration, "--project", project, "--",
            "digest", "--platform", "sev", "--ovmf", "config/dev/demo/OVMF.fd", "--json"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root,
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "dotnet run did not finish in 120 s");
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{stdout.Result}\n{stderr.Result}");
        using var json = JsonDocument.Parse(stdout.Result);
        Assert.Equal("sev", json.RootElement.GetProperty("platform").GetString());
    }
}
