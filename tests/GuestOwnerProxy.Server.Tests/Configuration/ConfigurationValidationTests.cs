using System.Text.Json;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Tests.Infrastructure;

namespace GuestOwnerProxy.Server.Tests.Configuration;

public sealed class ConfigurationValidationTests : IDisposable
{
    private const string SecretKeyValue = "c2VjcmV0IGtleSBtYXRlcmlhbCB0aGF0IG11c3Qgbm90IGxlYWs=";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ConfigurationLoadResult Load(string keysets, string? keys = null, bool unsafeMode = false, TrustOptions? trust = null) =>
        new BrokerConfigurationLoader().Load(new GuestOwnerProxyOptions
        {
            KeysetsFile = _dir.Write("keysets.json", keysets),
            KeysFile = _dir.Write("keys.json", keys ?? $$"""{ "k1": "{{SecretKeyValue}}", "k2": "AAAA" }"""),
            Unsafe = unsafeMode,
            Trust = trust ?? new TrustOptions(),
        });

    private ConfigurationException Fails(string keysets, string? keys = null, bool unsafeMode = false, TrustOptions? trust = null) =>
        Assert.Throws<ConfigurationException>(() => Load(keysets, keys, unsafeMode, trust));

    private static string Keyset(string extra = "", string digests = "\"allowed_digests\": [\"" + Hex32 + "\"],") => $$"""
        { "KS": { {{digests}} "allowed_keys": ["k1"], "allowed-policies": [0], "min-api-major": 0, "min-api-minor": 0,
                  "allowed-build-ids": [13] {{extra}} } }
        """;

    private const string Hex32 = "a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3";

    [Fact]
    public void Deployed_python_format_loads_unchanged()
    {
        var result = Load(Keyset());
        var keyset = result.Configuration.Keysets["KS"];
        Assert.Equal([0u], keyset.Definition.AllowedPolicies);
        Assert.Equal([13L], keyset.Definition.AllowedBuildIds);
        Assert.Equal(KnownGuids.KeysetBundle, keyset.Definition.SecretGuid);
        Assert.Single(keyset.DigestsFor(PlatformKind.Csv));
        Assert.Single(keyset.DigestsFor(PlatformKind.Sev));
    }

    [Fact]
    public void Json_syntax_error_names_file_line_and_column()
    {
        var ex = Fails("{\n  \"KS\": {\n    \"allowed_keys\": [\"k1\",]\n  }\n}");
        var error = Assert.Single(ex.Errors);
        Assert.EndsWith("keysets.json", error.File);
        Assert.Contains("line 3", error.Message);
        Assert.Contains("column", error.Message);
    }

    [Fact]
    public void Keys_file_syntax_error_does_not_quote_the_file()
    {
        var ex = Fails(Keyset(), keys: "{ \"k1\": \"" + SecretKeyValue + "\" \"k2\": 1 }");
        Assert.Contains("keys.json", ex.Message);
        Assert.Contains("line 1", ex.Message);
        Assert.DoesNotContain(SecretKeyValue[..8], ex.Message);
    }

    [Fact]
    public void Unknown_key_id_is_an_error_naming_file_keyset_and_field()
    {
        var ex = Fails(Keyset().Replace("[\"k1\"]", "[\"k1\", \"missing\"]"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("KS", error.Keyset);
        Assert.Equal("allowed_keys", error.Field);
        Assert.Contains("'missing'", error.Message);
        Assert.EndsWith("keys.json", error.File);
    }

    [Fact]
    public void Bad_base64_key_names_the_key_never_the_value()
    {
        var ex = Fails(Keyset(), keys: """{ "k1": "not base64!!", "k2": 12345 }""");
        Assert.Equal(2, ex.Errors.Count(e => e.Field?.StartsWith("key '") == true));
        Assert.Contains(ex.Errors, e => e.Field == "key 'k1'" && e.Message == "value is not valid base64");
        Assert.Contains(ex.Errors, e => e.Field == "key 'k2'" && e.Message.Contains("a number"));
        Assert.DoesNotContain("not base64!!", ex.Message);
        Assert.DoesNotContain("12345", ex.Message);
    }

    [Theory]
    [InlineData("\"a11cc\"", "has 5 hex digits")]
    [InlineData("\"AAAA\"", "decodes (base64) to 3 bytes")]
    [InlineData("\"zz-top\"", "neither hex nor base64")]
    [InlineData("7", "must be a string")]
    public void Wrong_digests_are_reported(string digest, string expected)
    {
        var ex = Fails(Keyset(digests: $"\"allowed_digests\": [{digest}],"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("allowed_digests[0]", error.Field);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Base64_and_hex_digests_decode_to_the_same_bytes()
    {
        var bytes = Convert.FromHexString(Hex32);
        var result = Load(Keyset(digests: $"\"allowed_digests\": [\"{Hex32.ToUpperInvariant()}\", \"{Convert.ToBase64String(bytes)}\"],"));
        var digests = result.Configuration.Keysets["KS"].DigestsFor(PlatformKind.Sev);
        Assert.Equal(digests[0].Candidate.Digest, digests[1].Candidate.Digest);
    }

    [Theory]
    [InlineData(", \"allowed-policies\": []", "allowed-policies", "is empty")]
    [InlineData(", \"min-api-major\": 256", "min-api-major", "out of range")]
    [InlineData(", \"platform\": \"tdx\"", "platform", "not a platform")]
    [InlineData(", \"measurement-variants\": [\"csv-build16\"]", "measurement-variants[0]", "unknown measurement formula")]
    [InlineData(", \"measurement-variants\": [\"sev\"]", "measurement-variants[0]", "not a CSV formula")]
    [InlineData(", \"secret-guid\": \"nope\"", "secret-guid", "not a GUID")]
    [InlineData(", \"allowed-build-ids\": [-1]", "allowed-build-ids[0]", "out of range")]
    public void Extension_fields_are_validated(string extra, string field, string expected)
    {
        var json = Keyset(extra);
        // Let the duplicated property win over the default one (JSON: last wins in our parser? no: reject duplicates by replacing).
        if (extra.Contains("allowed-policies")) json = json.Replace("\"allowed-policies\": [0],", "");
        if (extra.Contains("min-api-major")) json = json.Replace("\"min-api-major\": 0,", "");
        if (extra.Contains("allowed-build-ids")) json = json.Replace("\"allowed-build-ids\": [13]", "\"min-build-id\": 1");
        var ex = Fails(json);
        Assert.Contains(ex.Errors, e => e.Field == field && e.Message.Contains(expected) && e.Keyset == "KS");
    }

    [Fact]
    public void Missing_required_fields_and_empty_keys()
    {
        var ex = Fails("""{ "KS": { "allowed_digests": [], "allowed_keys": [] } }""");
        Assert.Contains(ex.Errors, e => e.Field == "allowed_keys" && e.Message.Contains("empty"));
        Assert.Contains(ex.Errors, e => e.Field == "allowed-policies" && e.Message == "is required");
        Assert.Contains(ex.Errors, e => e.Field == "allowed-build-ids" && e.Message.Contains("min-build-id"));
    }

    [Fact]
    public void A_keyset_without_digests_or_images_needs_unsafe_mode()
    {
        var json = Keyset(digests: "");
        var ex = Fails(json);
        Assert.Contains("--unsafe", Assert.Single(ex.Errors).Message);
        var result = Load(json, unsafeMode: true);
        Assert.True(result.Configuration.Unsafe);
        Assert.Contains(result.Warnings, w => w.Contains("--unsafe"));
    }

    [Fact]
    public void Kernel_with_an_ovmf_lacking_the_hashes_area_is_an_error()
    {
        var kernel = _dir.Write("vmlinuz", [1, 2, 3]);
        var ovmf = JsonSerializer.Serialize(_dir.Write("x64.fd", new byte[4096])); // no OVMF footer at all
        var ex = Fails(Keyset(digests: $$"""
            "allowed_images": [ { "name": "x64", "ovmf": {{ovmf}}, "kernel": "vmlinuz" } ],
            """));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("KS", error.Keyset);
        Assert.Equal("allowed_images[0] ('x64')", error.Field);
        Assert.Contains(LaunchDigest.NoHashesAreaMessage, error.Message);
    }

    [VectorFact]
    public void Unreadable_image_is_an_error_and_good_images_match_the_vectors()
    {
        var ex = Fails(Keyset(digests: """ "allowed_images": [ { "name": "gone", "ovmf": "does-not-exist.fd" } ], """));
        Assert.Contains("does-not-exist.fd", Assert.Single(ex.Errors).Message);

        // Vector S7: SHA-256 of the OvmfX64 suffix without kernel hashes.
        var ovmf = JsonSerializer.Serialize(Vectors.Path("ovmf/ovmf_OvmfX64_suffix.bin"));
        var result = Load(Keyset(digests: $$""" "platform": "sev", "allowed_images": [ { "name": "x64", "ovmf": {{ovmf}} } ], """));
        var digest = Assert.Single(result.ImageDigests);
        Assert.Equal("b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da", Convert.ToHexStringLower(digest.Digest));
    }

    [VectorFact]
    public void Kernel_hashes_image_matches_vector_S5_with_a_cmdline_file_newline_dropped()
    {
        _dir.Write("kernel", []);
        _dir.Write("initrd", []);
        _dir.Write("cmdline", "console=ttyS0 loglevel=7\n");
        var ovmf = JsonSerializer.Serialize(Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"));
        var result = Load(Keyset(digests: $$"""
            "platform": "sev", "allowed_images": [ { "name": "s5", "ovmf": {{ovmf}}, "kernel": "kernel", "initrd": "initrd", "cmdline_file": "cmdline" } ],
            """));
        Assert.Equal("82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff",
            Convert.ToHexStringLower(Assert.Single(result.ImageDigests).Digest));
    }

    [Fact]
    public void Secret_that_cannot_fit_the_secret_area_is_rejected()
    {
        var big = Convert.ToBase64String(new byte[3000]);
        var ex = Fails(Keyset(), keys: $$"""{ "k1": "{{big}}" }""");
        Assert.Contains("secret area", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void Trust_files_and_fingerprints_are_validated()
    {
        var ex = Fails(Keyset(), trust: new TrustOptions
        {
            RootFiles = ["no-such-root.cert"],
            ExtraRootFingerprints = ["abc"],
            IntermediateDirectories = ["no-such-dir"],
        });
        Assert.Equal(3, ex.Errors.Count);
        Assert.All(ex.Errors, e => Assert.Equal(TrustLoader.Source, e.File));
        Assert.Equal(["RootFiles[0]", "ExtraRootFingerprints[0]", "IntermediateDirectories[0]"], ex.Errors.Select(e => e.Field));
    }

    [Fact]
    public void Unknown_field_is_an_error_naming_the_closest_field()
    {
        // Used to be a warning: the keyset loaded with its digest restriction silently missing.
        var ex = Fails(Keyset(", \"allowed_digest\": []"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("KS", error.Keyset);
        Assert.Null(error.Field);
        Assert.Equal("unknown field \"allowed_digest\": did you mean 'allowed_digests'?", error.Message);
    }
}
