using System.Diagnostics;
using System.Text.Json;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace GuestOwnerProxy.Server.Tests.Configuration;

/// <summary>The SEV-ES/CSV2 fields of an <c>allowed_images</c> entry: validation, precomputed digests, candidates per policy.</summary>
public sealed class EsImageConfigurationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string OvmfJson => JsonSerializer.Serialize(DemoImage.Ovmf);

    private ConfigurationLoadResult Load(string image, string policies = "[0, 4]", string platform = "sev") =>
        new BrokerConfigurationLoader().Load(new GuestOwnerProxyOptions
        {
            KeysetsFile = _dir.Write("keysets.json", $$"""
                { "KS": { "platform": "{{platform}}", "allowed_images": [ {{image}} ], "allowed_keys": ["k1"],
                          "allowed-policies": {{policies}}, "min-api-major": 0, "min-api-minor": 0, "allowed-build-ids": [15] } }
                """),
            KeysFile = _dir.Write("keys.json", """{ "k1": "AAAA" }"""),
        });

    private IReadOnlyList<ConfigurationError> Fails(string image) => Assert.Throws<ConfigurationException>(() => Load(image)).Errors;

    [Theory]
    [InlineData("\"vcpus\": \"1-8\"", "1,2,3,4,5,6,7,8")]
    [InlineData("\"vcpus\": 4", "4")]
    [InlineData("\"vcpus\": [1, 2, 4, 2]", "1,2,4")]
    [InlineData("\"vcpus\": \"1-2,16\"", "1,2,16")]
    public void Vcpu_counts_become_one_candidate_each(string vcpus, string counts)
    {
        var result = Load($$"""{ "name": "es", "ovmf": {{OvmfJson}}, "es": true, {{vcpus}}, "vcpu-type": "EPYC-v4", "vmsa-layout": "legacy" }""");
        var digests = result.Configuration.Keysets["KS"].DigestsFor(PlatformKind.Sev);
        Assert.Equal(counts, string.Join(",", result.ImageDigests.Select(d => d.Vcpus)));
        Assert.All(digests, d => Assert.True(d.Es));
        Assert.Equal(digests.Count, digests.Select(d => Convert.ToHexString(d.Candidate.Digest)).Distinct().Count());
        // Only ES launches see them.
        Assert.Empty(result.Configuration.Keysets["KS"].DigestsFor(PlatformKind.Sev, 0));
        Assert.Equal(digests.Count, result.Configuration.Keysets["KS"].DigestsFor(PlatformKind.Sev, 0x5).Count);
    }

    [Fact]
    public void The_three_ways_of_giving_the_signature_agree_and_match_the_core()
    {
        string Digest(string sig) => Convert.ToHexString(Load(
            $$"""{ "name": "es", "ovmf": {{OvmfJson}}, "es": true, "vcpus": 2, {{sig}}, "vmsa-layout": "init2" }""").ImageDigests.Single().Digest);
        var byType = Digest("\"vcpu-type\": \"EPYC-Milan\"");
        Assert.Equal(byType, Digest("\"vcpu-sig\": \"0xa00f11\""));
        Assert.Equal(byType, Digest("\"vcpu-sig\": 10489617"));
        Assert.Equal(byType, Digest("\"vcpu-family\": 25, \"vcpu-model\": 1, \"vcpu-stepping\": 1"));
        var core = LaunchDigest.ComputeEs(Crypto.Sev.SevLaunchCrypto.Instance, new LaunchImage(DemoImage.Ovmf),
            new EsVcpuModel(0xa00f11, VmsaLayout.Init2), [2]).For(2);
        Assert.Equal(Convert.ToHexString(core), byType);
    }

    [Theory]
    [InlineData("\"es\": true, \"vcpu-type\": \"EPYC\", \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpus", "is required")]
    [InlineData("\"es\": true, \"vcpus\": 2, \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpu-type", "exactly one of")]
    [InlineData("\"es\": true, \"vcpus\": 2, \"vcpu-type\": \"EPYC\", \"vcpu-sig\": \"0x1\", \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpu-sig", "exactly one of")]
    [InlineData("\"es\": true, \"vcpus\": 2, \"vcpu-type\": \"EPYC\"", "allowed_images[0].vmsa-layout", "is required")]
    [InlineData("\"es\": true, \"vcpus\": 2, \"vcpu-type\": \"EPYC\", \"vmsa-layout\": \"snp\"", "allowed_images[0].vmsa-layout", "known: legacy, init2")]
    [InlineData("\"es\": true, \"vcpus\": 2, \"vcpu-type\": \"EPYC-Turbo\", \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpu-type", "EPYC-Milan")]
    [InlineData("\"es\": true, \"vcpus\": 2, \"vcpu-sig\": \"0xzz\", \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpu-sig", "32-bit hex")]
    [InlineData("\"es\": true, \"vcpus\": 2, \"vcpu-family\": 25, \"vcpu-model\": 1, \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpu-stepping", "is required")]
    [InlineData("\"es\": true, \"vcpus\": \"8-1\", \"vcpu-type\": \"EPYC\", \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpus", "empty")]
    [InlineData("\"es\": true, \"vcpus\": \"1-999\", \"vcpu-type\": \"EPYC\", \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpus", "out of range")]
    [InlineData("\"es\": true, \"vcpus\": 0, \"vcpu-type\": \"EPYC\", \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpus", "")]
    [InlineData("\"es\": true, \"vcpus\": [], \"vcpu-type\": \"EPYC\", \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpus", "is empty")]
    [InlineData("\"es\": true, \"vcpus\": true, \"vcpu-type\": \"EPYC\", \"vmsa-layout\": \"legacy\"", "allowed_images[0].vcpus", "must be a number")]
    [InlineData("\"vcpus\": 2", "allowed_images[0].vcpus", "applies only to an SEV-ES/CSV2 image")]
    [InlineData("\"es\": false, \"vmsa-layout\": \"init2\"", "allowed_images[0].vmsa-layout", "applies only")]
    [InlineData("\"es\": true, \"vcpus\": 2, \"vcpu-type\": \"EPYC\", \"vmsa_layout\": \"legacy\"", null, "did you mean 'vmsa-layout'")]
    public void Es_fields_are_validated_naming_the_field(string fields, string? field, string message)
    {
        var errors = Fails($$"""{ "name": "es", "ovmf": {{OvmfJson}}, {{fields}} }""");
        Assert.Contains(errors, e => (field is null || e.Field == field) && e.Message.Contains(message));
    }

    [Fact]
    public void An_ovmf_without_the_reset_block_is_refused_for_an_es_image()
    {
        var bytes = File.ReadAllBytes(DemoImage.Ovmf);
        int at = bytes.AsSpan().IndexOf(KnownGuids.OvmfSevEsResetBlock.ToByteArray());
        bytes[at] ^= 0xff;
        var ovmf = JsonSerializer.Serialize(_dir.Write("no-reset.fd", bytes));
        var ex = Assert.Throws<ConfigurationException>(() =>
            Load($$"""{ "name": "es", "ovmf": {{ovmf}}, "es": true, "vcpus": 1, "vcpu-type": "EPYC", "vmsa-layout": "legacy" }"""));
        Assert.Contains(LaunchDigest.NoSevEsResetBlockMessage, Assert.Single(ex.Errors).Message);
        // The same firmware is fine for a plain image.
        Load($$"""{ "name": "plain", "ovmf": {{ovmf}} }""");
    }

    [Fact]
    public void Warnings_for_an_es_image_no_policy_can_launch_and_for_unconfirmed_csv2()
    {
        var image = $$"""{ "name": "es", "ovmf": {{OvmfJson}}, "es": true, "vcpus": 1, "vcpu-type": "Dhyana", "vmsa-layout": "legacy" }""";
        Assert.Contains(Load(image, policies: "[0]").Warnings, w => w.Contains("can never match"));
        var csv = Load(image, platform: "csv");
        Assert.Contains(csv.Warnings, w => w.Contains("UNCONFIRMED") && w.Contains("csv2-sm3"));
        Assert.DoesNotContain(Load(image).Warnings, w => w.Contains("UNCONFIRMED") || w.Contains("never match"));
    }

    [Fact]
    public void Loading_a_1_to_64_range_over_a_4_MiB_ovmf_hashes_the_firmware_once()
    {
        // A 4 MiB firmware: the demo footer at the end of random filler.
        var demo = File.ReadAllBytes(DemoImage.Ovmf);
        var big = new byte[4 << 20];
        new Random(13).NextBytes(big);
        demo.AsSpan(demo.Length - 4096).CopyTo(big.AsSpan(big.Length - 4096));
        var ovmf = JsonSerializer.Serialize(_dir.Write("big.fd", big));
        var image = $$"""{ "name": "es", "ovmf": {{ovmf}}, "es": true, "vcpus": "1-64", "vcpu-type": "EPYC-v4", "vmsa-layout": "init2" }""";

        var watch = Stopwatch.StartNew();
        var result = Load(image, platform: "sev");
        watch.Stop();
        Assert.Equal(64, result.ImageDigests.Count);
        // Figures are reported, never asserted: docs/benchmarks.md has the measured ones.
        output.WriteLine($"keyset load, 1-64 vCPUs over a 4 MiB OVMF (SEV, SHA-256): {watch.Elapsed.TotalMilliseconds:F1} ms");
        var last = LaunchDigest.ComputeEs(Crypto.Sev.SevLaunchCrypto.Instance, new LaunchImage(_dir.File("big.fd")),
            new EsVcpuModel(0x800f12, VmsaLayout.Init2), [64]).For(64);
        Assert.Equal(last, result.ImageDigests.Single(d => d.Vcpus == 64).Digest);
    }
}
