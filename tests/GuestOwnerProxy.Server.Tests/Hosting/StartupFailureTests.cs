using GuestOwnerProxy.Server.Hosting;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using GuestOwnerProxy.Tests.Settings;

namespace GuestOwnerProxy.Server.Tests.Hosting;

/// <summary>Bad start-up settings are one line on stderr and exit 2, never an unhandled exception (134).</summary>
public sealed class StartupFailureTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private (int Exit, string Error) Run(params string[] settings)
    {
        var setup = new ServerSetup();
        try
        {
            var keysets = _dir.Write("keysets.json", ServerSetup.DefaultKeysets.Replace("images/ovmf.fd", setup.OvmfPath.Replace("\\", "/")));
            var keys = _dir.Write("keys.json", setup.KeysJson);
            var error = new StringWriter();
            int exit = ServerHost.Run(["-c", keysets, "-k", keys, "-p", "0", "--GuestOwnerProxy:ListenAddress=127.0.0.1", .. settings], error);
            return (exit, error.ToString());
        }
        finally
        {
            setup.Directory.Dispose();
        }
    }

    [Fact]
    public void Unopenable_audit_log_exits_2_with_one_line()
    {
        var notADirectory = _dir.Write("plain-file", "x");
        var (exit, error) = Run($"--GuestOwnerProxy:AuditLog={notADirectory}/audit.jsonl");
        Assert.Equal(ServerHost.ExitBadConfiguration, exit);
        // Refused by the settings validator before anything is opened (it was the audit log's constructor that failed).
        Assert.StartsWith("gop: invalid settings: GuestOwnerProxy:AuditLog: cannot create ", error);
        Assert.Contains("plain-file", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    /// <summary>The settings gop check-config refuses with the same message (GuestOwnerProxy.Cli.Tests, SettingsRefusalTests).</summary>
    [Theory]
    [MemberData(nameof(SettingsRefusals.Names), MemberType = typeof(SettingsRefusals))]
    public void Refused_settings_exit_2_with_the_shared_message(string name)
    {
        var refusal = SettingsRefusals.Named(name);
        SettingsRefusals.Prepare(_dir.Path);
        var (exit, error) = Run(refusal.Arguments(_dir.Path));
        Assert.True(exit == ServerHost.ExitBadConfiguration, error);
        Assert.StartsWith("gop: " + refusal.Expected(_dir.Path), error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Checking_the_audit_log_path_leaves_no_file_behind()
    {
        // A writable directory and a missing file: checked with a probe file that is deleted on close, and the
        // refused start (Ttl) must not have created the log or its directory.
        var audit = _dir.File("logs/audit.jsonl");
        var (exit, error) = Run($"--GuestOwnerProxy:AuditLog={audit}", "--GuestOwnerProxy:Sessions:Ttl=0");
        Assert.Equal(ServerHost.ExitBadConfiguration, exit);
        Assert.Equal("gop: invalid settings: GuestOwnerProxy:Sessions:Ttl must be positive", error.TrimEnd());
        Assert.False(Directory.Exists(_dir.File("logs")));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".gop-audit-probe-*"));
    }

    [Theory]
    [InlineData("--GuestOwnerProxy:ReloadInterval=two seconds", "GuestOwnerProxy:ReloadInterval")]
    [InlineData("--GuestOwnerProxy:BundleEncoding:Csv=Hex", "GuestOwnerProxy:BundleEncoding:Csv")]
    [InlineData("--GuestOwnerProxy:BundleEncoding:Sev=7", "BundleEncoding")]
    [InlineData("--GuestOwnerProxy:Sessions:Ttl=00:00:00", "Ttl must be positive")]
    public void Bad_settings_exit_2_naming_the_setting(string setting, string named)
    {
        var (exit, error) = Run(setting);
        Assert.Equal(ServerHost.ExitBadConfiguration, exit);
        Assert.StartsWith("gop: ", error);
        Assert.Contains(named, error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", error);
    }
}
