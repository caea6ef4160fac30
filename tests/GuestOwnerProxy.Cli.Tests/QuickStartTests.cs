using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// The README's quick start, as a newcomer runs it: the server on the SHIPPED keysets.json, keys.json and
/// Development settings (simulator roots from config/dev), then `gop simulate` with the demo image.
/// Only the port differs (a free one instead of 50051), and the audit log goes to a temp file.
/// </summary>
public sealed class QuickStartTests : IDisposable
{
    internal static readonly string RepoRoot = FindRepoRoot();
    private readonly string _audit = Path.Combine(Path.GetTempPath(), $"gop-quickstart-{Guid.NewGuid():n}.jsonl");

    public void Dispose() => File.Delete(_audit);

    [Fact]
    public void ShippedConfigurationIsValid()
    {
        var result = Gop.RunIn(RepoRoot, "check-config");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("image 'demo-ovmf'", result.Stdout);
    }

    [Fact]
    public void SimulatedLaunchesSucceedAgainstTheShippedDevelopmentServer()
    {
        using var server = StartServer("Development");
        int port = server.Port;
        string demo(string f) => Path.Combine("config", "dev", "demo", f);

        var csv = Gop.RunIn(RepoRoot, "simulate", "--server", $"127.0.0.1:{port}", "--platform", "csv", "--ovmf", demo("OVMF.fd"));
        Assert.True(csv.ExitCode == 0, csv + "\n--- server\n" + server.Log);
        Assert.Contains("guest has 1 key", csv.Stdout);

        var sev = Gop.RunIn(RepoRoot, "simulate", "--server", $"127.0.0.1:{port}", "--platform", "sev", "--ovmf", demo("OVMF.fd"),
            "--kernel", demo("vmlinuz"), "--initrd", demo("initrd.img"), "--cmdline", "console=ttyS0 loglevel=7");
        Assert.True(sev.ExitCode == 0, sev + "\n--- server\n" + server.Log);
        Assert.Contains("key ids: key_id1", sev.Stdout);

        // SEV-ES/CSV2 launches against the shipped KEYSET-ES (vcpus 1-8, EPYC-v4, init2), on both protocols.
        foreach (var (platform, protocol) in new[] { ("sev", "setup"), ("csv", "keybroker") })
        {
            var es = Gop.RunIn(RepoRoot, "simulate", "--server", $"127.0.0.1:{port}", "--platform", platform, "--ovmf", demo("OVMF.fd"),
                "--es", "--vcpus", "4", "--keyset", "KEYSET-ES", "--protocol", protocol);
            Assert.True(es.ExitCode == 0, es + "\n--- server\n" + server.Log);
            Assert.Contains("4 VMSA pages", es.Stdout);
            Assert.Contains("guest has 1 key", es.Stdout);
        }
        var tooMany = Gop.RunIn(RepoRoot, "simulate", "--server", $"127.0.0.1:{port}", "--platform", "sev", "--ovmf", demo("OVMF.fd"),
            "--es", "--vcpus", "9", "--keyset", "KEYSET-ES");
        Assert.Equal(1, tooMany.ExitCode);
        Assert.Contains("MEASUREMENT INVALID", tooMany.Stdout + tooMany.Stderr);

        // An image the keyset does not list is refused, whatever the platform proves.
        var other = Gop.RunIn(RepoRoot, "simulate", "--server", $"127.0.0.1:{port}", "--platform", "sev", "--ovmf", demo("vmlinuz"));
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("MEASUREMENT INVALID", other.Stdout + other.Stderr);
    }

    [Fact]
    public void ProductionDoesNotTrustTheSimulatorRoot()
    {
        // Even with the simulator's intermediates and root file configured, Production does not accept its root:
        // only a pin or an ExtraRootFingerprints entry makes a root trusted.
        using var server = StartServer("Production",
            "--GuestOwnerProxy:Trust:IntermediateFiles:0=config/dev/csv/hsk_cek.cert", "--GuestOwnerProxy:Trust:RootFiles:0=config/dev/csv/hrk.cert");
        var result = Gop.RunIn(RepoRoot, "simulate", "--server", server.Address, "--platform", "csv",
            "--ovmf", Path.Combine("config", "dev", "demo", "OVMF.fd"));
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("GRPC Error: CERTIFICATE CHAIN INVALID: certificate chain broken at root: ", result.Stderr);
        Assert.Contains("no pinned or allowed HRK", result.Stderr);
        Assert.DoesNotContain("guest has", result.Stdout);
        Assert.DoesNotContain("bundle:", result.Stdout);
    }

    [Fact]
    public void CheckConfigReportsAndValidatesTheTrustSettingsOfAnEnvironment()
    {
        var development = Gop.RunIn(RepoRoot, "check-config", "--environment", "Development");
        Assert.True(development.ExitCode == 0, development.ToString());
        Assert.Contains("trust (environment Development", development.Stdout);
        Assert.Contains("config/dev/csv/hrk.cert (sha256 ", development.Stdout);
        Assert.Contains("extra root:    0d02e70d089b8896e7652187a5d95b2201bdf0608ecf5d72f37faebea5616834", development.Stdout);
        Assert.Contains("intermediates: 2 files", development.Stdout);

        var production = Gop.RunIn(RepoRoot, "check-config", "--environment", "Production");
        Assert.True(production.ExitCode == 0, production.ToString());
        Assert.Contains("roots:         built-in vendor pins\n", production.Stdout);
        Assert.DoesNotContain("extra root", production.Stdout);

        // A deployment override naming a root file that is not there fails like the server would.
        var overrides = Path.Combine(Path.GetTempPath(), $"gop-appsettings-{Guid.NewGuid():n}.json");
        File.WriteAllText(overrides, """{ "GuestOwnerProxy": { "Trust": { "RootFiles": ["config/dev/csv/no-such-hrk.cert"] } } }""");
        try
        {
            var broken = Gop.RunIn(RepoRoot, "check-config", "--appsettings", overrides);
            Assert.Equal(2, broken.ExitCode);
            Assert.Contains("GuestOwnerProxy:Trust: RootFiles[0]", broken.Stderr);
            Assert.Contains("no-such-hrk.cert", broken.Stderr);
        }
        finally
        {
            File.Delete(overrides);
        }
    }

    private GopServer StartServer(string environment, params string[] settings) =>
        GopServer.Start(RepoRoot, ["--environment", environment,
            "--GuestOwnerProxy:ListenAddress=127.0.0.1", $"--GuestOwnerProxy:AuditLog={_audit}", .. settings]);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GuestOwnerProxy.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException("repository root (GuestOwnerProxy.sln) not found above the test assembly");
    }
}
