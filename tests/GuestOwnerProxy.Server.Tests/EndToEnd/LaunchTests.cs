using System.Text;
using System.Text.Json;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>Whole launches over real Kestrel + h2c gRPC, with the simulated CSV and SEV firmware.</summary>
public sealed class LaunchTests
{
    [Theory]
    [InlineData(CsvMeasurementVariant.NoBuild, "csv-no-build", false)]
    [InlineData(CsvMeasurementVariant.Build8, "csv-build8", false)]
    [InlineData(CsvMeasurementVariant.Build32, "csv-build32", true)]
    public async Task Csv_launch_releases_exactly_the_keysets_keys(CsvMeasurementVariant variant, string formula, bool buildVerified)
    {
        var setup = new ServerSetup();
        // Build 1600 is covered by csv-build32 only; the keyset opts in to the other two (see BuildIdBindingTests).
        setup.KeysetsJson = setup.KeysetsJson.Replace("\"allowed-build-ids\": [15, 1600]",
            "\"allowed-build-ids\": [15, 1600], \"measurement-variants\": [\"csv-no-build\", \"csv-build8\", \"csv-build32\"]");
        await using var server = await ProxyServer.StartAsync(setup);
        var platform = TestPlatforms.Csv(variant);
        using var launch = await SimulatedLaunch.StartAsync(server.Client, platform, [server.Setup.OvmfBytes]);

        // The Hygon client writes the bundle unchanged into base64 files: base64 ASCII, no newlines.
        var godhText = Encoding.ASCII.GetString(launch.Bundle.GuestOwnerPublicKey.Span);
        Assert.DoesNotContain('\n', godhText);
        Assert.Equal(2084, Convert.FromBase64String(godhText).Length);
        Assert.True(launch.ConnectionId > 0);

        var response = await server.Client.GetLaunchSecretAsync(launch.SecretRequest());
        Assert.Equal(52, response.LaunchSecretHeader.Length);
        AssertGuestGotKeys(launch.Inject(response), server.Setup);

        var secretAudit = server.AuditLines().Select(JsonLinesAuditLogParse).Last();
        Assert.Equal("released", secretAudit.Decision);
        Assert.Equal(formula, secretAudit.Formula);
        Assert.Equal(buildVerified, secretAudit.BuildIdVerified);
        Assert.True(secretAudit.MeasurementVerified);
        Assert.Equal("image 'test-ovmf'", secretAudit.Matched);
        Assert.Equal("csv", secretAudit.Platform);
        Assert.Equal(0, (await server.Sessions.CountAsync()));
    }

    [Fact]
    public async Task Sev_launch_with_kernel_hashes_measures_ovmf_kernel_initrd_and_cmdline()
    {
        var setup = new ServerSetup();
        var ovmf = DemoImage.Ovmf;
        var kernel = setup.Directory.Write("images/vmlinuz", Encoding.ASCII.GetBytes("not really a kernel"));
        var initrd = setup.Directory.Write("images/initrd.img", Encoding.ASCII.GetBytes("not really an initrd"));
        var cmdlineFile = setup.Directory.Write("images/cmdline", "console=ttyS0 loglevel=7\n");
        setup.KeysetsJson = $$"""
            {
              "KEYSET-1": {
                "platform": "sev",
                "allowed_images": [
                  { "name": "kata-sev", "ovmf": {{JsonSerializer.Serialize(ovmf)}}, "kernel": "images/vmlinuz",
                    "initrd": "images/initrd.img", "cmdline_file": "images/cmdline" }
                ],
                "allowed_keys": ["key_id1"],
                "allowed-policies": [0],
                "min-api-major": 0, "min-api-minor": 0,
                "allowed-build-ids": [15]
              }
            }
            """;
        await using var server = await ProxyServer.StartAsync(setup);

        // What QEMU does with kernel-hashes=on: OVMF, then the padded hashes table (cmdline without the file's newline).
        var table = KernelHashesTable.Build(
            KernelHashesTable.HashCmdline(Encoding.ASCII.GetBytes("console=ttyS0 loglevel=7")),
            KernelHashesTable.HashFile(initrd),
            KernelHashesTable.HashFile(kernel));
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [File.ReadAllBytes(ovmf), table]);
        Assert.Equal(2084, launch.Bundle.GuestOwnerPublicKey.Length); // raw for SEV

        var response = await server.Client.GetLaunchSecretAsync(launch.SecretRequest());
        var entries = launch.Inject(response);
        Assert.Equal($$"""{"key_id1": "{{ServerSetup.Key1}}"}""", Encoding.ASCII.GetString(Assert.Single(entries).Data));

        // Without the table (kernel-hashes=off) the same OVMF does not match this keyset.
        using var other = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [File.ReadAllBytes(ovmf)]);
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(other.SecretRequest()).ResponseAsync,
            StatusCode.InvalidArgument, "MEASUREMENT INVALID", "MEASUREMENT_INVALID");
    }

    [Fact]
    public async Task Sev_full_chain_without_separate_pdh_and_literal_digests_in_hex_and_base64()
    {
        var setup = new ServerSetup();
        var sevDigest = LaunchDigest.Compute(PlatformRegistry.Default.For(PlatformKind.Sev).Crypto, setup.OvmfBytes);
        var csvDigest = LaunchDigest.Compute(PlatformRegistry.Default.For(PlatformKind.Csv).Crypto, setup.OvmfBytes);
        setup.KeysetsJson = $$"""
            { "KEYSET-1": { "allowed_digests": ["{{Convert.ToHexString(sevDigest)}}", "{{Convert.ToBase64String(csvDigest)}}"],
              "allowed_keys": ["key_id2"], "allowed-policies": [0], "allowed-build-ids": [15, 1600] } }
            """;
        await using var server = await ProxyServer.StartAsync(setup);

        var sev = TestPlatforms.Sev;
        var request = new BundleRequest { CertificateChain = ByteString.CopyFrom(sev.FullChain), Policy = 0 };
        using var launch = await SimulatedLaunch.StartAsync(server.Client, sev, [setup.OvmfBytes], request: request);
        var entries = launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest()));
        Assert.Equal($$"""{"key_id2": "{{setup.Key2}}"}""", Encoding.ASCII.GetString(Assert.Single(entries).Data));

        using var csv = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [setup.OvmfBytes]);
        Assert.Single(csv.Inject(await server.Client.GetLaunchSecretAsync(csv.SecretRequest())));
        Assert.Contains(server.AuditLines(), l => l.Contains("\"matched\":\"allowed_digests[1]\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hygon_sized_build_ids_and_min_build_id()
    {
        var setup = new ServerSetup();
        setup.KeysetsJson = """
            { "KEYSET-1": { "platform": "csv", "allowed_images": [ { "name": "o", "ovmf": "images/ovmf.fd" } ],
              "allowed_keys": ["key_id1"], "allowed-policies": [0], "min-api-major": 1, "min-api-minor": 2,
              "min-build-id": 2311, "measurement-variants": ["csv-build32"] } }
            """;
        await using var server = await ProxyServer.StartAsync(setup);
        var platform = TestPlatforms.Csv(CsvMeasurementVariant.Build32, new FirmwareVersion(1, 2, 2311));
        using var launch = await SimulatedLaunch.StartAsync(server.Client, platform, [setup.OvmfBytes]);
        Assert.Single(launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest())));

        using var old = await SimulatedLaunch.StartAsync(server.Client,
            TestPlatforms.Csv(CsvMeasurementVariant.Build32, new FirmwareVersion(1, 2, 1881)), [setup.OvmfBytes]);
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(old.SecretRequest()).ResponseAsync,
            StatusCode.InvalidArgument, "BUILD-ID INVALID", "BUILD_ID_INVALID");
    }

    [Fact]
    public async Task Csv_variant_pinning_rejects_other_formulas()
    {
        var setup = new ServerSetup();
        setup.KeysetsJson = """
            { "KEYSET-1": { "allowed_images": [ { "name": "o", "ovmf": "images/ovmf.fd" } ],
              "allowed_keys": ["key_id1"], "allowed-policies": [0], "allowed-build-ids": [1600],
              "measurement-variants": ["csv-build8"] } }
            """;
        await using var server = await ProxyServer.StartAsync(setup);
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(CsvMeasurementVariant.NoBuild), [setup.OvmfBytes]);
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(launch.SecretRequest()).ResponseAsync,
            StatusCode.InvalidArgument, "MEASUREMENT INVALID", "MEASUREMENT_INVALID");
    }

    [Fact]
    public async Task Bundle_encoding_is_configurable_per_platform()
    {
        var setup = new ServerSetup();
        setup.Settings["GuestOwnerProxy:BundleEncoding:Csv"] = "Raw";
        setup.Settings["GuestOwnerProxy:BundleEncoding:Sev"] = "Base64";
        await using var server = await ProxyServer.StartAsync(setup);
        var csv = await server.Client.GetLaunchBundleAsync(SimulatedLaunch.BundleRequestFor(TestPlatforms.Csv()));
        Assert.Equal(2084, csv.GuestOwnerPublicKey.Length);
        Assert.Equal(772, csv.LaunchBlob.Length);
        var sev = await server.Client.GetLaunchBundleAsync(SimulatedLaunch.BundleRequestFor(TestPlatforms.Sev));
        Assert.Equal(128, Convert.FromBase64String(Encoding.ASCII.GetString(sev.LaunchBlob.Span)).Length);
    }

    [Fact]
    public async Task Health_service_reports_serving()
    {
        await using var server = await ProxyServer.StartAsync();
        var health = new Grpc.Health.V1.Health.HealthClient(server.Channel);
        var reply = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Unsafe_mode_releases_without_digests_and_says_so()
    {
        var setup = new ServerSetup();
        setup.Settings["GuestOwnerProxy:Unsafe"] = "true";
        setup.KeysetsJson = """{ "KEYSET-1": { "allowed_keys": ["key_id1"], "allowed-policies": [0], "allowed-build-ids": [15] } }""";
        await using var server = await ProxyServer.StartAsync(setup);
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [Encoding.ASCII.GetBytes("any image at all")]);
        Assert.Single(launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest())));
        Assert.True(server.Logs.Contains("NOT verified", Serilog.Events.LogEventLevel.Fatal));
        var released = JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal(("released", false, false), (released.Decision, released.MeasurementVerified, released.BuildIdVerified));
    }

    [Fact]
    public async Task Skipped_chain_verification_is_explicit_and_logged_on_every_bundle()
    {
        var setup = new ServerSetup { TrustTestRoots = false };
        setup.Settings["GuestOwnerProxy:Trust:SkipVerification"] = "true";
        await using var server = await ProxyServer.StartAsync(setup);
        await server.Client.GetLaunchBundleAsync(SimulatedLaunch.BundleRequestFor(TestPlatforms.Untrusted(PlatformKind.Csv)));
        await server.Client.GetLaunchBundleAsync(SimulatedLaunch.BundleRequestFor(TestPlatforms.Untrusted(PlatformKind.Sev)));
        Assert.Equal(2, server.Logs.Events.Count(e => e.Level == Serilog.Events.LogEventLevel.Fatal
            && e.RenderMessage().Contains("chain NOT verified", StringComparison.Ordinal)));
        Assert.All(server.AuditLines().Select(JsonLinesAuditLogParse), r => Assert.False(r.ChainVerified));
    }

    internal static AuditRecord JsonLinesAuditLogParse(string line) => JsonLinesAuditLog.Parse(line);

    internal static void AssertGuestGotKeys(IReadOnlyList<GuestSecretEntry> entries, ServerSetup setup)
    {
        var entry = Assert.Single(entries);
        Assert.Equal(KnownGuids.KeysetBundle, entry.Guid);
        // Byte for byte what the Python proxy sent: json.dumps of the allowed keys, values verbatim.
        Assert.Equal($$"""{"key_id1": "{{ServerSetup.Key1}}", "key_id2": "{{setup.Key2}}"}""", Encoding.ASCII.GetString(entry.Data));
    }
}
