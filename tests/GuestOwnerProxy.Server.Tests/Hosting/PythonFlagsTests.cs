using GuestOwnerProxy.Server.Hosting;

namespace GuestOwnerProxy.Server.Tests.Hosting;

public sealed class PythonFlagsTests
{
    [Fact]
    public void Maps_every_python_flag_in_every_optparse_spelling()
    {
        var translated = PythonFlags.Translate(["-p", "50052", "--config=ks.json", "-kkeys.json", "--logfile", "gop.log", "-du", "--urls", "x"]);
        Assert.Equal(
        [
            "--GuestOwnerProxy:Port=50052", "--GuestOwnerProxy:KeysetsFile=ks.json", "--GuestOwnerProxy:KeysFile=keys.json",
            "--GuestOwnerProxy:LogFile=gop.log", "--GuestOwnerProxy:Debug=true", "--GuestOwnerProxy:Unsafe=true", "--urls", "x",
        ], translated);
        Assert.Equal(["--GuestOwnerProxy:Unsafe=true"], PythonFlags.Translate(["--unsafe"]));
    }

    [Theory]
    [InlineData("-p")]
    [InlineData("-p", "http")]
    [InlineData("--port=70000")]
    [InlineData("-c")]
    public void Rejects_missing_or_bad_values(params string[] args) =>
        Assert.Throws<ArgumentException>(() => PythonFlags.Translate(args));

    [Fact]
    public void Run_with_a_broken_keysets_file_exits_2_without_starting()
    {
        using var dir = new Infrastructure.TempDirectory();
        var keysets = dir.Write("keysets.json", "{ broken");
        var keys = dir.Write("keys.json", "{}");
        Assert.Equal(ServerHost.ExitBadConfiguration, ServerHost.Run(["-c", keysets, "-k", keys, "-p", "0", "--GuestOwnerProxy:AuditLog="]));
        Assert.Equal(ServerHost.ExitBadConfiguration, ServerHost.Run(["-p"]));
    }
}
