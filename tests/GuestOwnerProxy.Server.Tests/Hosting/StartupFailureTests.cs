using GuestOwnerProxy.Server.Hosting;
using GuestOwnerProxy.Server.Tests.Infrastructure;

namespace GuestOwnerProxy.Server.Tests.Hosting;

/// <summary>Review finding 3: bad start-up settings are one line on stderr and exit 2, never an unhandled exception (134).</summary>
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
        Assert.StartsWith("gop: cannot open a configured file: ", error);
        Assert.Contains("plain-file", error);
        Assert.Single(error.TrimEnd().Split('\n'));
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
