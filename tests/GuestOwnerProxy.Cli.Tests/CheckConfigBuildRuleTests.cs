namespace GuestOwnerProxy.Cli.Tests;

/// <summary><c>gop check-config</c> warns when a keyset's build restriction rests on the host's claim.</summary>
public sealed class CheckConfigBuildRuleTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private GopResult CheckConfig(string buildRule, string variants)
    {
        var ovmf = _dir.Write("ovmf.fd", new byte[4096]);
        var keysets = _dir.Write("keysets.json", $$"""
            { "KEYSET-CSV": { "platform": "csv", "allowed_images": [{"name": "o", "ovmf": "{{ovmf}}"}],
              "allowed_keys": ["key_id1"], "allowed-policies": [0], {{buildRule}}, "measurement-variants": {{variants}} } }
            """);
        var keys = _dir.Write("keys.json", """{ "key_id1": "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=" }""");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return Gop.Run("check-config", "-c", keysets, "-k", keys);
    }

    [Theory]
    [InlineData("\"min-build-id\": 1600", "[\"csv-no-build\", \"csv-build32\"]", "csv-no-build")]
    [InlineData("\"allowed-build-ids\": [15, 1600]", "[\"csv-build8\"]", "csv-build8")]
    [InlineData("\"allowed-build-ids\": [15, 255]", "[\"csv-build8\", \"csv-build32\"]", "csv-build8")]
    public void An_opted_in_formula_that_leaves_the_build_out_is_valid_with_a_warning(string buildRule, string variants, string formula)
    {
        var r = CheckConfig(buildRule, variants);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"keyset 'KEYSET-CSV': its build restriction (allowed-build-ids/min-build-id) is NOT authenticated when a measurement matches {formula}", r.Stderr);
        Assert.Contains("build_id_verified: false", r.Stderr);
        Assert.DoesNotContain("matches csv-build32", r.Stderr);
    }

    [Theory]
    [InlineData("\"allowed-build-ids\": [15, 255]", "[\"csv-build32\"]")]
    [InlineData("\"min-build-id\": 0", "[\"csv-no-build\"]")]
    public void A_formula_that_covers_every_allowed_build_or_no_restriction_gives_no_warning(string buildRule, string variants)
    {
        var r = CheckConfig(buildRule, variants);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("NOT authenticated", r.Stderr);
    }
}
