namespace GuestOwnerProxy.Cli.Tests;

/// <summary><c>gop secret build</c> (S9), <c>gop cert show</c> / <c>cert verify</c> (H6, H7, H8, S12).</summary>
public sealed class SecretAndCertTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [VectorFact]
    public void S9_SecretBuild_HeaderAndData()
    {
        var measure = Convert.ToBase64String(Convert.FromHexString("4cb780efad3b959427b4b8d1635fe2fac6ed75267eef9cf1a73e0fc7d873a412"));
        var r = Gop.Run("secret", "build", "--platform", "sev",
            "--tek", "@" + Vectors.Path("more/sevctl/secret/tek1.bin"), "--tik", "@" + Vectors.Path("more/sevctl/secret/tik1.bin"),
            "--measurement", measure, "--iv", "ac5474ed4dd32c7d989ec523d92559ec",
            "--secret", "736869e5-84f0-4973-92ec-06879ce3da0b:" + Vectors.Path("more/sevctl/secret/secret1.txt"));
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[2]);
        Assert.Equal("00000000ac5474ed4dd32c7d989ec523d92559ecbc152cde610e17f0aef557334a2d4fca42c22c4312e3b5b85a3d47b0aac857e5",
            Convert.ToHexStringLower(Convert.FromBase64String(lines[0])));
        Assert.Equal("d14ddee4f717bf4516f87e2d48114a39d0987ca135fa3dfc05cd9fb8ed7a9988b223eb16c7b20d7e7fa58188f9e862f5db2ca29c36be9557c20b00ffdb0e5c3c",
            Convert.ToHexStringLower(Convert.FromBase64String(lines[1])));
    }

    [Fact]
    public void SecretBuild_MissingSecretFile_Exit2_NamesFile()
    {
        var missing = _dir.File("missing.txt");
        var r = Gop.Run("secret", "build", "--platform", "sev", "--tek", new string('0', 32), "--tik", new string('1', 32),
            "--measurement", Convert.ToBase64String(new byte[32]), "--secret", "736869e5-84f0-4973-92ec-06879ce3da0b:" + missing);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--secret", r.Stderr);
        Assert.Contains(missing, r.Stderr);
    }

    [Fact]
    public void SecretBuild_BadGuid_Exit2()
    {
        var file = _dir.Write("s", "x");
        var r = Gop.Run("secret", "build", "--platform", "csv", "--tek", new string('0', 32), "--tik", new string('1', 32),
            "--measurement", Convert.ToBase64String(new byte[48]), "--secret", "not-a-guid:" + file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'not-a-guid' is not a GUID", r.Stderr);
    }

    [VectorFact]
    public void H7_CertShow_HygonCek()
    {
        var r = Gop.Run("cert", "show", Vectors.Path("hygon/cek.cert"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("platform:      csv", r.Stdout);
        Assert.Contains("usage:         CEK (0x1004)", r.Stdout);
        Assert.Contains("version:       2", r.Stdout);
        Assert.Contains("api:           1.1", r.Stdout);
        Assert.Contains("algorithm:     SM2 signing (4)", r.Stdout);
        Assert.Contains("userId:        HYGON-SSD-CEK", r.Stdout);
        Assert.Contains("sid:           6e1009311eb0e448f7320da5ce2d4d47", r.Stdout);
        Assert.Contains("signature1:    by HSK (0x0013)", r.Stdout);
    }

    [VectorFact]
    public void CertShow_HrkIsPinned_HskCekListsTwo()
    {
        var hrk = Gop.Run("cert", "show", Vectors.Path("hygon/hrk.cert"), "--json");
        Assert.Equal(0, hrk.ExitCode);
        using (var json = System.Text.Json.JsonDocument.Parse(hrk.Stdout))
        {
            var c = json.RootElement[0];
            Assert.Equal("CSV CA certificate", c.GetProperty("format").GetString());
            Assert.Equal("hygon", c.GetProperty("pinnedRoot").GetString());
            Assert.Equal("HYGON-SSD-HRK", c.GetProperty("userId").GetString());
            Assert.Equal("3ae86a9701355cce333a589de21583d7", c.GetProperty("keyId").GetString());
            Assert.True(c.GetProperty("selfSigned").GetBoolean());
            Assert.Equal("296efa97580464aca0ab5eefe42199ee05862182508d1629f29cf4dc175b10cd", c.GetProperty("sha256").GetString());
        }

        var pair = Gop.Run("cert", "show", Vectors.Path("hygon/hsk_cek.cert"));
        Assert.Equal(0, pair.ExitCode);
        Assert.Contains("2 certificates", pair.Stdout);
        Assert.Contains("usage:         HSK (0x0013)", pair.Stdout);
        Assert.Contains("usage:         CEK (0x1004)", pair.Stdout);
    }

    [VectorFact]
    public void CertShow_NaplesFullChain_SixCertificates()
    {
        var r = Gop.Run("cert", "show", Vectors.Path("amd/naples/cert_chain_full.bin"), "--json");
        Assert.Equal(0, r.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(r.Stdout);
        var usages = json.RootElement.EnumerateArray().Select(e => e.GetProperty("usage").GetString()![..3]).ToArray();
        Assert.Equal(["PDH", "PEK", "OCA", "CEK", "ASK", "ARK"], usages);
        Assert.All(json.RootElement.EnumerateArray(), e => Assert.Equal("sev", e.GetProperty("platform").GetString()));
        Assert.Equal("naples", json.RootElement[5].GetProperty("pinnedRoot").GetString());
        Assert.Equal("ECDH-SHA256 (0x3)", json.RootElement[0].GetProperty("algorithm").GetString());
    }

    [VectorTheory]
    [InlineData("amd/builtin/rome/ark.cert", "rome", "RSA-4096")]
    [InlineData("amd/builtin/naples/ark.cert", "naples", "RSA-2048")]
    public void CertShow_AmdRoots(string file, string generation, string key)
    {
        var r = Gop.Run("cert", "show", Vectors.Path(file));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"pinnedRoot:    {generation}", r.Stdout);
        Assert.Contains($"key:           {key}", r.Stdout);
        Assert.Contains("usage:         ARK (0x0000)", r.Stdout);
    }

    [VectorFact]
    public void CertShow_UnsignedNaplesArk_Exit2_Explains()
    {
        var file = Vectors.Path("amd/naples/ark.cert.bad");
        var r = Gop.Run("cert", "show", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(file, r.Stderr);
        Assert.Contains("576 bytes", r.Stderr);
    }

    [Fact]
    public void CertShow_Garbage_Exit2()
    {
        var file = _dir.Write("junk.cert", new byte[100]);
        var r = Gop.Run("cert", "show", file);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(file, r.Stderr);
        Assert.Contains("offset 0", r.Stderr);
    }

    [VectorFact]
    public void H6_HskSignsCek()
    {
        var r = Gop.Run("cert", "verify", "--signer", Vectors.Path("hygon/hsk.cert"), Vectors.Path("hygon/cek.cert"));
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("valid:", r.Stdout);
    }

    [VectorFact]
    public void H4_H5_HrkSelfAndHsk()
    {
        Assert.Equal(0, Gop.Run("cert", "verify", "--signer", Vectors.Path("hygon/hrk.cert"), Vectors.Path("hygon/hrk.cert")).ExitCode);
        Assert.Equal(0, Gop.Run("cert", "verify", "--signer", Vectors.Path("hygon/hrk.cert"), Vectors.Path("hygon/hsk.cert")).ExitCode);
    }

    [VectorFact]
    public void H8_TamperedCek_Exit1()
    {
        var bytes = File.ReadAllBytes(Vectors.Path("hygon/cek.cert"));
        bytes[0xA6] ^= 0x01; // user id, inside the signed region
        var file = _dir.Write("cek.cert", bytes);
        var r = Gop.Run("cert", "verify", "--signer", Vectors.Path("hygon/hsk.cert"), file);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("invalid:", r.Stdout);
        Assert.Contains("does not verify", r.Stdout);
    }

    [VectorFact]
    public void WrongSigner_Exit1_NamesMissingSlot()
    {
        var r = Gop.Run("cert", "verify", "--signer", Vectors.Path("hygon/hrk.cert"), Vectors.Path("hygon/cek.cert"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no signature slot by usage 0x0000", r.Stdout);
    }

    [VectorFact]
    public void S12_NaplesCekUnderRomeAsk_Exit1_UnderNaplesAsk_Exit0()
    {
        Assert.Equal(1, Gop.Run("cert", "verify", "--signer", Vectors.Path("amd/builtin/rome/ask.cert"), Vectors.Path("amd/naples/cek.cert")).ExitCode);
        Assert.Equal(0, Gop.Run("cert", "verify", "--signer", Vectors.Path("amd/builtin/naples/ask.cert"), Vectors.Path("amd/naples/cek.cert")).ExitCode);
        Assert.Equal(0, Gop.Run("cert", "verify", "--signer", Vectors.Path("amd/naples/pek.cert"), Vectors.Path("amd/naples/pdh.cert")).ExitCode);
    }

    [VectorFact]
    public void MixedPlatforms_Exit2()
    {
        var r = Gop.Run("cert", "verify", "--signer", Vectors.Path("hygon/hsk.cert"), Vectors.Path("amd/naples/cek.cert"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("cannot sign", r.Stderr);
    }

    [VectorFact]
    public void ChainFileAsSingleCertificate_Exit2()
    {
        var r = Gop.Run("cert", "verify", "--signer", Vectors.Path("hygon/hsk_cek.cert"), Vectors.Path("hygon/cek.cert"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--signer", r.Stderr);
        Assert.Contains("holds 2 certificates", r.Stderr);
    }
}
