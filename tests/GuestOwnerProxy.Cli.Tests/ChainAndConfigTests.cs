using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary><c>gop chain verify</c> (S10 on the real Naples/Rome chains, the simulator's CSV chain) and <c>gop check-config</c>.</summary>
public sealed class ChainAndConfigTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [VectorFact]
    public void S10_NaplesFullChain_Verifies()
    {
        var r = Gop.Run("chain", "verify", "--chain", Vectors.Path("amd/naples/cert_chain_full.bin"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("links:   ARK self, ARK->ASK, ASK->CEK, CEK->PEK, OCA self, OCA->PEK, PEK->PDH", r.Stdout);
        Assert.Contains("naples (built-in pin) dedabca561e1dece8cc00b7bda864cf5f20b95017864408cfe18eaee0dce24b9", r.Stdout);

        var withPdh = Gop.Run("chain", "verify", "--pdh", Vectors.Path("amd/naples/pdh.cert"), "--chain", Vectors.Path("amd/naples/cert_chain_full.bin"), "--json");
        Assert.Equal(0, withPdh.ExitCode);
        Assert.Contains("\"rootPinned\": true", withPdh.Stdout);
    }

    [VectorFact]
    public void Naples_ShortChainWithRootAndAsk_Verifies()
    {
        var chain = _dir.Write("cert_chain.cert", [.. File.ReadAllBytes(Vectors.Path("amd/naples/pek.cert")),
            .. File.ReadAllBytes(Vectors.Path("amd/naples/oca.cert")), .. File.ReadAllBytes(Vectors.Path("amd/naples/cek.cert"))]);
        var r = Gop.Run("chain", "verify", "--pdh", Vectors.Path("amd/naples/pdh.cert"), "--chain", chain,
            "--root", Vectors.Path("amd/builtin/naples/ark.cert"), "--ask-ark", Vectors.Path("amd/builtin/naples/ask.cert"));
        Assert.Equal(0, r.ExitCode);

        // Without the ARK nothing anchors the chain.
        var noRoot = Gop.Run("chain", "verify", "--pdh", Vectors.Path("amd/naples/pdh.cert"), "--chain", chain,
            "--ask-ark", Vectors.Path("amd/builtin/naples/ask.cert"));
        Assert.Equal(1, noRoot.ExitCode);
        Assert.StartsWith("chain broken at root:", noRoot.Stdout);
    }

    [VectorFact]
    public void TamperedPdh_Exit1_NamesLink()
    {
        var bytes = File.ReadAllBytes(Vectors.Path("amd/naples/cert_chain_full.bin"));
        bytes[0x20] ^= 0x01; // PDH public key X, inside the PEK-signed region
        var chain = _dir.Write("full.bin", bytes);
        var r = Gop.Run("chain", "verify", "--chain", chain);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("chain broken at PEK->PDH:", r.Stdout);
    }

    [VectorFact]
    public void MalformedChainFile_Exit2_NamesFile()
    {
        var chain = _dir.Write("short.bin", File.ReadAllBytes(Vectors.Path("amd/naples/cert_chain_full.bin"))[..5000]);
        var r = Gop.Run("chain", "verify", "--chain", chain);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--chain", r.Stderr);
        Assert.Contains(chain, r.Stderr);
    }

    [Fact]
    public void Csv_SimulatorChain_NeedsAllowRoot()
    {
        var platform = SoftwarePlatform.Create(PlatformKind.Csv, new SoftwarePlatformOptions { Seed = SoftwarePlatformSeeds.DevelopmentSeed });
        var files = System.IO.Path.Combine(_dir.Path, "csv");
        platform.WriteTrustFiles(files);
        string F(string name) => System.IO.Path.Combine(files, name);

        string[] common = ["chain", "verify", "--pdh", F("pdh.cert"), "--chain", F("cert_chain.cert"), "--hsk-cek", F("hsk_cek.cert"), "--root", F("hrk.cert")];
        var refused = Gop.Run(common);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("chain broken at root:", refused.Stdout);

        var ok = Gop.Run([.. common, "--allow-root", platform.RootFingerprint]);
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("chain verified (csv)", ok.Stdout);
        Assert.Contains("HRK self, HRK->HSK, HSK->CEK, CEK->PEK, OCA self, OCA->PEK, PEK->PDH", ok.Stdout);
        Assert.Contains("allowed with --allow-root", ok.Stdout);

        // The simulator's full chain carries its HSK and HRK; the root still needs --allow-root.
        var full = Gop.Run("chain", "verify", "--chain", F("full_chain.cert"), "--allow-root", platform.RootFingerprint);
        Assert.True(full.ExitCode == 0, full.ToString());
        Assert.Equal(1, Gop.Run("chain", "verify", "--chain", F("full_chain.cert")).ExitCode);

        // Another (simulated) chip's hsk_cek.
        var otherChip = System.IO.Path.Combine(_dir.Path, "csv-other");
        SoftwarePlatform.Create(PlatformKind.Csv, new SoftwarePlatformOptions { Seed = "another chip"u8.ToArray() }).WriteTrustFiles(otherChip);
        var wrong = Gop.Run(["chain", "verify", "--pdh", F("pdh.cert"), "--chain", F("cert_chain.cert"), "--hsk-cek", System.IO.Path.Combine(otherChip, "hsk_cek.cert"),
            "--root", F("hrk.cert"), "--allow-root", platform.RootFingerprint]);
        Assert.Equal(1, wrong.ExitCode);
        Assert.StartsWith("chain broken at hsk_cek:", wrong.Stdout);
    }

    [VectorFact]
    public void CheckConfig_Valid_PrintsImageDigests()
    {
        var keysets = _dir.Write("keysets.json", $$"""
            {
              "KEYSET-1": {
                "allowed_digests": ["a11cc9f3c6f3c0a7b6d5e4f30201a0b0c0d0e0f1021324354657687980a1b2c3"],
                "allowed_images": [{"name": "ovmfx64", "ovmf": "{{Vectors.Path("ovmf/ovmf_OvmfX64_suffix.bin")}}"}],
                "allowed_keys": ["key_id1"],
                "allowed-policies": [0],
                "min-api-major": 0,
                "min-api-minor": 0,
                "allowed-build-ids": [13],
                "platform": "sev"
              }
            }
            """);
        var keys = _dir.Write("keys.json", """{ "key_id1": "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=" }""");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var r = Gop.Run("check-config", "-c", keysets, "-k", keys);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("keyset KEYSET-1", r.Stdout);
        Assert.Contains("b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da  image 'ovmfx64'", r.Stdout);
        Assert.Contains("a11cc9f3c6f3c0a7b6d5e4f30201a0b0c0d0e0f1021324354657687980a1b2c3", r.Stdout);
        Assert.Contains("keys:      key_id1", r.Stdout);
        Assert.DoesNotContain("RcHGava52DPvj1uoIk", r.Stdout + r.Stderr);
    }

    [Fact]
    public void CheckConfig_UnknownKeyId_Exit2_NamesFileKeysetField()
    {
        var keysets = _dir.Write("keysets.json", """
            { "KEYSET-1": { "allowed_digests": ["a11cc9f3c6f3c0a7b6d5e4f30201a0b0c0d0e0f1021324354657687980a1b2c3"],
                            "allowed_keys": ["missing_key"], "allowed-policies": [0], "min-api-major": 0, "min-api-minor": 0,
                            "allowed-build-ids": [13] } }
            """);
        var keys = _dir.Write("keys.json", """{ "key_id1": "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=" }""");
        var r = Gop.Run("check-config", "-c", keysets, "-k", keys);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("KEYSET-1", r.Stderr);
        Assert.Contains("allowed_keys", r.Stderr);
        Assert.Contains("missing_key", r.Stderr);
        Assert.DoesNotContain("RcHGava52DPvj1uoIk", r.Stdout + r.Stderr);
    }

    [Fact]
    public void CheckConfig_MissingFile_Exit2()
    {
        var r = Gop.Run("check-config", "-c", _dir.File("none.json"), "-k", _dir.File("none-keys.json"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("none.json", r.Stderr);
    }
}
