namespace GuestOwnerProxy.Cli.Tests;

/// <summary><c>gop digest</c> against the published launch digest vectors S5–S8.</summary>
public sealed class DigestCommandTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _empty;

    public DigestCommandTests() => _empty = _dir.Write("empty", []);

    public void Dispose() => _dir.Dispose();

    [VectorFact]
    public void S5_KernelInitrdCmdline()
    {
        var r = Gop.Run("digest", "--platform", "sev", "--ovmf", Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"),
            "--kernel", _empty, "--initrd", _empty, "--cmdline", "console=ttyS0 loglevel=7");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff\n", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [VectorFact]
    public void S5_CmdlineFile_LosesExactlyOneTrailingNewline()
    {
        var file = _dir.Write("cmdline", "console=ttyS0 loglevel=7\n");
        var r = Gop.Run("digest", "--platform", "sev", "--ovmf", Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"),
            "--kernel", _empty, "--initrd", _empty, "--cmdline-file", file);
        Assert.Equal("82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff\n", r.Stdout);

        // A second newline is part of the command line and changes the digest.
        var twice = _dir.Write("cmdline2", "console=ttyS0 loglevel=7\n\n");
        var r2 = Gop.Run("digest", "--platform", "sev", "--ovmf", Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"),
            "--kernel", _empty, "--initrd", _empty, "--cmdline-file", twice);
        Assert.Equal(0, r2.ExitCode);
        Assert.NotEqual(r.Stdout, r2.Stdout);
    }

    [VectorFact]
    public void S6_KernelOnly()
    {
        var r = Gop.Run("digest", "--platform", "sev", "--ovmf", Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"), "--kernel", _empty);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("77f613d7bbcdf12a73782ea9e88b0172aeda50d1a54201cb903594ff52846898\n", r.Stdout);
    }

    [VectorFact]
    public void S7_NoKernel_HexAndBase64()
    {
        var r = Gop.Run("digest", "--platform", "sev", "--ovmf", Vectors.Path("ovmf/ovmf_OvmfX64_suffix.bin"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da\n", r.Stdout);

        var b = Gop.Run("digest", "--platform", "sev", "--ovmf", Vectors.Path("ovmf/ovmf_OvmfX64_suffix.bin"), "--base64");
        Assert.Equal(Convert.ToBase64String(Convert.FromHexString("b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da")) + "\n", b.Stdout);
    }

    [VectorFact]
    public void S6_NoKernelHashes_MeasuresOvmfAlone()
    {
        var with = Gop.Run("digest", "--platform", "sev", "--ovmf", Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"), "--kernel", _empty);
        var without = Gop.Run("digest", "--platform", "sev", "--ovmf", Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"), "--kernel", _empty, "--no-kernel-hashes");
        var plain = Gop.Run("digest", "--platform", "sev", "--ovmf", Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"));
        Assert.Equal(0, without.ExitCode);
        Assert.NotEqual(with.Stdout, without.Stdout);
        Assert.Equal(plain.Stdout, without.Stdout);
    }

    [VectorFact]
    public void S8_KernelWithOvmfLackingHashesArea_Exit2()
    {
        var ovmf = Vectors.Path("ovmf/ovmf_OvmfX64_suffix.bin");
        var r = Gop.Run("digest", "--platform", "sev", "--ovmf", ovmf, "--kernel", _empty);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains("kernel specified but OVMF does not support kernel/initrd/cmdline measurement", r.Stderr);
        Assert.Contains(ovmf, r.Stderr);
    }

    [VectorFact]
    public void Json_HasHashTableEntriesAndFooterFacts()
    {
        var r = Gop.Run("digest", "--platform", "sev", "--ovmf", Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"),
            "--kernel", _empty, "--initrd", _empty, "--cmdline", "console=ttyS0 loglevel=7", "--json");
        Assert.Equal(0, r.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(r.Stdout);
        var root = json.RootElement;
        Assert.Equal("82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff", root.GetProperty("digest").GetString());
        Assert.Equal("SHA-256", root.GetProperty("algorithm").GetString());
        var table = root.GetProperty("hashTable");
        Assert.Equal("321c8eec6a77bad179511397f913a083067ad8cb737bb260aacbfe8df70fc50a", table.GetProperty("cmdline").GetString());
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", table.GetProperty("kernel").GetString());
        var footer = root.GetProperty("footer");
        Assert.Equal("0x810c00", footer.GetProperty("kernelHashesArea").GetProperty("base").GetString());
        Assert.Equal(0x400, footer.GetProperty("kernelHashesArea").GetProperty("size").GetInt32());
        Assert.Equal(0xc00, footer.GetProperty("secretArea").GetProperty("size").GetInt32());
        Assert.Equal("0x80b004", footer.GetProperty("sevEsResetAddress").GetString());
    }

    [Fact]
    public void Csv_UsesSm3()
    {
        var sev = Gop.Run("digest", "--platform", "sev", "--ovmf", DemoImage.Ovmf, "--json");
        var csv = Gop.Run("digest", "--platform", "csv", "--ovmf", DemoImage.Ovmf, "--json");
        Assert.Equal(0, csv.ExitCode);
        using var s = System.Text.Json.JsonDocument.Parse(sev.Stdout);
        using var c = System.Text.Json.JsonDocument.Parse(csv.Stdout);
        Assert.Equal("SM3", c.RootElement.GetProperty("algorithm").GetString());
        Assert.NotEqual(s.RootElement.GetProperty("digest").GetString(), c.RootElement.GetProperty("digest").GetString());
    }

    [Fact]
    public void MissingFile_Exit2_NamesOptionAndFile()
    {
        var missing = _dir.File("nope.fd");
        var r = Gop.Run("digest", "--platform", "sev", "--ovmf", missing);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--ovmf", r.Stderr);
        Assert.Contains(missing, r.Stderr);
    }

    [Theory]
    [InlineData("--bogus", "unknown option '--bogus'")]
    [InlineData("--platform", "'--platform' needs a value")]
    public void BadArguments_Exit2_NameTheArgument(string arg, string message)
    {
        var r = Gop.Run("digest", "--ovmf", DemoImage.Ovmf, arg);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }

    [Fact]
    public void BadPlatform_And_InitrdWithoutKernel_Exit2()
    {
        var r = Gop.Run("digest", "--platform", "tdx", "--ovmf", DemoImage.Ovmf);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--platform: 'tdx' is not a platform", r.Stderr);

        var i = Gop.Run("digest", "--platform", "sev", "--ovmf", DemoImage.Ovmf, "--initrd", _empty);
        Assert.Equal(2, i.ExitCode);
        Assert.Contains("--initrd", i.Stderr);
        Assert.Contains("--kernel", i.Stderr);
    }

    [Fact]
    public void UnknownCommand_And_Help()
    {
        var r = Gop.Run("frobnicate");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown command 'frobnicate'", r.Stderr);

        var h = Gop.Run("help");
        Assert.Equal(0, h.ExitCode);
        Assert.Contains("digest", h.Stdout);
        Assert.Contains("client GetBundle", h.Stdout);

        var d = Gop.Run("digest", "--help");
        Assert.Equal(0, d.ExitCode);
        Assert.Contains("--cmdline-file", d.Stdout);
        Assert.Contains("exactly one trailing newline", d.Stdout);
    }
}
