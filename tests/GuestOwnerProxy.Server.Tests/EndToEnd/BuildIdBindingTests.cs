using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Grpc.Core;
using Serilog.Events;
using GuestOwnerProxy.Server.Tests.KeyBroker;
using KeyBrokerProtocol = GuestOwnerProxy.Protocol.KeyBroker;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>
/// A keyset's build rule is checked against the host's claim; it holds only when the formula that reproduced
/// the measurement covers the whole claimed build id. The attack: a CSV host whose firmware is build 1
/// claims build 1600 (or claims 1600 on a build whose low byte is 1600's) and asks for the keyset's keys.
/// </summary>
public sealed class BuildIdBindingTests
{
    private const string NotCovered = "BUILD-ID INVALID: the measurement matched {0}, which does not cover the firmware build id";

    private static ServerSetup KeysetAllowingBuild1600(string? variants = null, string buildRule = "\"allowed-build-ids\": [1600]")
    {
        var setup = new ServerSetup();
        setup.KeysetsJson = $$"""
            { "KEYSET-1": { "allowed_images": [ { "name": "test-ovmf", "ovmf": "images/ovmf.fd" } ],
              "allowed_keys": ["key_id1", "key_id2"], "allowed-policies": [0], {{buildRule}}
              {{(variants is null ? "" : $", \"measurement-variants\": {variants}")}} } }
            """;
        return setup;
    }

    private static SecretRequest Claiming(SimulatedLaunch launch, int buildId)
    {
        var request = launch.SecretRequest();
        request.BuildId = buildId;
        return request;
    }

    [Theory]
    [InlineData(CsvMeasurementVariant.NoBuild, 1u, "csv-no-build")]
    [InlineData(CsvMeasurementVariant.Build8, 1600u & 0xff, "csv-build8")]
    public async Task A_false_build_claim_under_a_formula_that_leaves_the_build_out_is_denied(
        CsvMeasurementVariant variant, uint realBuild, string formula)
    {
        await using var server = await ProxyServer.StartAsync(KeysetAllowingBuild1600());
        var firmware = TestPlatforms.Csv(variant, new FirmwareVersion(1, 2, realBuild));
        using var launch = await SimulatedLaunch.StartAsync(server.Client, firmware, [server.Setup.OvmfBytes]);

        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(Claiming(launch, 1600)).ResponseAsync,
            StatusCode.InvalidArgument, string.Format(NotCovered, formula), "BUILD_ID_NOT_MEASURED");
        var audit = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal(("denied", "BUILD_ID_NOT_MEASURED", 1600L), (audit.Decision, audit.Reason, audit.BuildId));
        Assert.Equal(1, (await server.Sessions.CountAsync())); // counted as a failed attempt, not consumed
    }

    [Fact]
    public async Task The_same_attack_over_the_keybroker_protocol_is_denied()
    {
        await using var server = await ProxyServer.StartAsync(KeysetAllowingBuild1600());
        var client = new KeyBrokerProtocol.KeyBrokerService.KeyBrokerServiceClient(server.Channel);
        var firmware = TestPlatforms.Csv(CsvMeasurementVariant.NoBuild, new FirmwareVersion(1, 2, 1));
        using var launch = await KeyBrokerLaunch.StartAsync(client, firmware, [server.Setup.OvmfBytes]);
        var request = launch.KataRequest();
        request.BuildId = 1600;

        await Denied.Assert(() => client.GetSecretAsync(request).ResponseAsync,
            StatusCode.InvalidArgument, string.Format(NotCovered, "csv-no-build"), "BUILD_ID_NOT_MEASURED");
        var audit = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal(("keybroker", "denied", "BUILD_ID_NOT_MEASURED"), (audit.Protocol, audit.Decision, audit.Reason));
    }

    [Fact]
    public async Task A_build_the_formula_covers_is_released_and_audited_as_verified()
    {
        await using var server = await ProxyServer.StartAsync(KeysetAllowingBuild1600());
        // csv-build32 binds the build: the honest claim is released ...
        using var honest = await SimulatedLaunch.StartAsync(server.Client,
            TestPlatforms.Csv(CsvMeasurementVariant.Build32, new FirmwareVersion(1, 2, 1600)), [server.Setup.OvmfBytes]);
        Assert.Single(honest.Inject(await server.Client.GetLaunchSecretAsync(honest.SecretRequest())));
        var released = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal(("released", "csv-build32", true, true), (released.Decision, released.Formula, released.BuildIdVerified, released.MeasurementVerified));

        // ... and a build-1 firmware claiming 1600 reproduces no measurement at all.
        using var liar = await SimulatedLaunch.StartAsync(server.Client,
            TestPlatforms.Csv(CsvMeasurementVariant.Build32, new FirmwareVersion(1, 2, 1)), [server.Setup.OvmfBytes]);
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(Claiming(liar, 1600)).ResponseAsync,
            StatusCode.InvalidArgument, "MEASUREMENT INVALID", "MEASUREMENT_INVALID");
    }

    /// <summary>csv-build8 keeps only the low byte: firmware build 271 claiming the allowed build 15 measures alike.</summary>
    [Fact]
    public async Task Csv_build8_does_not_cover_even_a_small_claimed_build_id()
    {
        var setup = KeysetAllowingBuild1600(buildRule: "\"allowed-build-ids\": [15]");
        await using var server = await ProxyServer.StartAsync(setup);
        using var launch = await SimulatedLaunch.StartAsync(server.Client,
            TestPlatforms.Csv(CsvMeasurementVariant.Build8, new FirmwareVersion(1, 2, 271)), [setup.OvmfBytes]);
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(Claiming(launch, 15)).ResponseAsync,
            StatusCode.InvalidArgument, string.Format(NotCovered, "csv-build8"), "BUILD_ID_NOT_MEASURED");
    }

    [Theory]
    [InlineData(CsvMeasurementVariant.NoBuild, 1u, "csv-no-build")]
    [InlineData(CsvMeasurementVariant.Build8, 1600u & 0xff, "csv-build8")]
    public async Task A_keyset_that_lists_the_formula_is_released_warned_and_audited_as_unverified(
        CsvMeasurementVariant variant, uint realBuild, string formula)
    {
        await using var server = await ProxyServer.StartAsync(KeysetAllowingBuild1600($"[\"{formula}\", \"csv-build32\"]"));
        Assert.True(server.Logs.Contains($"is NOT authenticated when a measurement matches {formula}", LogEventLevel.Warning));
        Assert.False(server.Logs.Contains("matches csv-build32", LogEventLevel.Warning));

        using var launch = await SimulatedLaunch.StartAsync(server.Client,
            TestPlatforms.Csv(variant, new FirmwareVersion(1, 2, realBuild)), [server.Setup.OvmfBytes]);
        Assert.Single(launch.Inject(await server.Client.GetLaunchSecretAsync(Claiming(launch, 1600))));
        var released = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal(("released", formula, false, true), (released.Decision, released.Formula, released.BuildIdVerified, released.MeasurementVerified));
    }

    [Fact]
    public async Task A_keyset_without_a_build_restriction_needs_no_opt_in()
    {
        await using var server = await ProxyServer.StartAsync(KeysetAllowingBuild1600(buildRule: "\"min-build-id\": 0"));
        Assert.False(server.Logs.Contains("NOT authenticated", LogEventLevel.Warning));
        using var launch = await SimulatedLaunch.StartAsync(server.Client,
            TestPlatforms.Csv(CsvMeasurementVariant.NoBuild, new FirmwareVersion(1, 2, 1)), [server.Setup.OvmfBytes]);
        Assert.Single(launch.Inject(await server.Client.GetLaunchSecretAsync(Claiming(launch, 1600))));
        var released = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal(("csv-no-build", false), (released.Formula, released.BuildIdVerified));
    }
}
