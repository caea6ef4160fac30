using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary><c>gop simulate</c>: a whole launch against the running server, for both platforms.</summary>
[Collection(ServerCollection.Name)]
public sealed class SimulateCommandTests
{
    private readonly ServerFixture _server;

    public SimulateCommandTests(ServerFixture server) => _server = server;

    [Theory]
    [InlineData("sev", "raw")]
    [InlineData("csv", "base64 text")]
    public void WholeLaunch_GuestGetsTheKeys(string platform, string encoding)
    {
        var r = Gop.Run("simulate", "--server", _server.Address, "--platform", platform, "--ovmf", _server.Ovmf);
        Assert.True(r.ExitCode == 0, r + "\n" + _server.Log);
        Assert.Contains($"({encoding} encoding)", r.Stdout);
        Assert.Contains("LAUNCH_START accepted", r.Stdout);
        Assert.Contains("LAUNCH_SECRET accepted", r.Stdout);
        Assert.Contains($"e6f5a162-d67f-4750-a67c-5d065f2a9910 (keyset bundle, key ids: {ServerFixture.KeyId})", r.Stdout);
        Assert.Contains("result:    guest has 1 key", r.Stdout);
        Assert.DoesNotContain(ServerFixture.KeyValue, r.Stdout + r.Stderr);
    }

    [Theory]
    [InlineData("setup")]
    [InlineData("keybroker")]
    public void KeysetWithItsOwnSecretGuid_KeysCounted_AndLabelledWithSecretGuid(string protocol)
    {
        var plain = Gop.Run("simulate", "--server", _server.Address, "--platform", "sev", "--ovmf", _server.Ovmf,
            "--keyset", ServerFixture.GuidKeysetId, "--protocol", protocol);
        Assert.True(plain.ExitCode == 0, plain + "\n" + _server.Log);
        Assert.Contains("result:    guest has 1 key", plain.Stdout);

        var labelled = Gop.Run("simulate", "--server", _server.Address, "--platform", "sev", "--ovmf", _server.Ovmf,
            "--keyset", ServerFixture.GuidKeysetId, "--protocol", protocol, "--secret-guid", ServerFixture.GuidKeysetGuid);
        Assert.True(labelled.ExitCode == 0, labelled + "\n" + _server.Log);
        Assert.Contains($"{ServerFixture.GuidKeysetGuid} (keyset bundle, key ids: {ServerFixture.KeyId})", labelled.Stdout);
        if (protocol == "setup")
            Assert.Contains($"{ServerFixture.GuidKeysetGuid} (key JSON, not at --secret-guid, key ids: {ServerFixture.KeyId})", plain.Stdout);
        Assert.DoesNotContain(ServerFixture.KeyValue, plain.Stdout + labelled.Stdout);
    }

    [Fact]
    public void CsvFirmwareWithBuild32Formula_IsAcceptedToo()
    {
        var r = Gop.Run("simulate", "--server", _server.Address, "--platform", "csv", "--ovmf", _server.Ovmf, "--csv-variant", "build32");
        Assert.True(r.ExitCode == 0, r + "\n" + _server.Log);
    }

    [Fact]
    public void OtherImage_MeasurementRefused_Exit1()
    {
        var r = Gop.Run("simulate", "--server", _server.Address, "--platform", "sev", "--ovmf", DemoImage.OtherOvmf);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("GRPC Error: MEASUREMENT INVALID\n", r.Stderr);
    }

    [Fact]
    public void UntrustedRandomPlatform_BundleRefused_Exit1()
    {
        var r = Gop.Run("simulate", "--server", _server.Address, "--platform", "sev", "--seed", "random", "--ovmf", _server.Ovmf);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("GRPC Error: ", r.Stderr);
    }

    [Fact]
    public void BadSeed_Exit2()
    {
        var r = Gop.Run("simulate", "--server", _server.Address, "--platform", "sev", "--seed", "lucky");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--seed", r.Stderr);
    }
}
