using Google.Protobuf;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Grpc.Core;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>The seven original checks of GetLaunchSecret, their order and exact strings, and the session rules.</summary>
public sealed class SecretDenialTests
{
    private static Task<SecretResponse> Secret(ProxyServer server, SecretRequest request) =>
        server.Client.GetLaunchSecretAsync(request).ResponseAsync;

    public static TheoryData<string, string, string> Checks => new()
    {
        // name of the mutation, expected detail, expected reason
        { "keyset", "KEYSET INVALID", "KEYSET_INVALID" },
        { "policy", "POLICY INVALID", "POLICY_INVALID" },
        { "api-major", "API MAJOR VERSION INVALID", "API_MAJOR_VERSION_INVALID" },
        { "api-minor", "API MINOR VERSION INVALID", "API_MINOR_VERSION_INVALID" },
        { "build", "BUILD-ID INVALID", "BUILD_ID_INVALID" },
        { "connection", "CONNECTION ID INVALID", "CONNECTION_ID_INVALID" },
        { "measurement", "MEASUREMENT INVALID", "MEASUREMENT_INVALID" },
    };

    [Theory]
    [MemberData(nameof(Checks))]
    public async Task Each_original_check_answers_its_exact_detail(string mutation, string detail, string reason)
    {
        await using var server = await ProxyServer.StartAsync();
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        // KEYSET-STRICT: policies [0, 1], API ≥ 1.2, build 1600; the CSV simulator is 1.2 build 1600.
        var request = launch.SecretRequest("KEYSET-STRICT");
        switch (mutation)
        {
            case "keyset": request.KeysetId = "KEYSET-404"; break;
            case "policy": request.Policy = 2; break;
            case "api-major": request.ApiMajor = 0; request.ApiMinor = 99; break;
            case "api-minor": request.ApiMinor = 1; break;
            case "build": request.BuildId = 1599; break;
            case "connection": request.ConnectionId = launch.ConnectionId == 1 ? 2 : launch.ConnectionId - 1; break;
            case "measurement":
                var tampered = launch.Measurement.ToArray();
                tampered[5] ^= 0x01;
                request.LaunchMeasurement = ByteString.CopyFrom(tampered);
                break;
        }
        await Denied.Assert(() => Secret(server, request), StatusCode.InvalidArgument, detail, reason);

        var audit = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal("denied", audit.Decision);
        Assert.Equal(reason, audit.Reason);

        // Nothing but the measurement counts against the session: the genuine request still works.
        var genuine = await Secret(server, launch.SecretRequest("KEYSET-STRICT"));
        Assert.Single(launch.Inject(genuine));
    }

    [Fact]
    public async Task Checks_run_in_the_original_order()
    {
        await using var server = await ProxyServer.StartAsync();
        var bad = new SecretRequest
        {
            KeysetId = "KEYSET-STRICT", Policy = 7, ApiMajor = 0, ApiMinor = 0, BuildId = 1,
            ConnectionId = 12345, LaunchMeasurement = ByteString.CopyFrom(new byte[48]),
        };
        await Denied.Assert(() => Secret(server, bad), StatusCode.InvalidArgument, "POLICY INVALID");
        bad.Policy = 1;
        await Denied.Assert(() => Secret(server, bad), StatusCode.InvalidArgument, "API MAJOR VERSION INVALID");
        bad.ApiMajor = 1;
        await Denied.Assert(() => Secret(server, bad), StatusCode.InvalidArgument, "API MINOR VERSION INVALID");
        bad.ApiMinor = 3;
        await Denied.Assert(() => Secret(server, bad), StatusCode.InvalidArgument, "BUILD-ID INVALID");
        bad.BuildId = 1600;
        await Denied.Assert(() => Secret(server, bad), StatusCode.InvalidArgument, "CONNECTION ID INVALID");
        bad.KeysetId = "";
        await Denied.Assert(() => Secret(server, bad), StatusCode.InvalidArgument, "KEYSET INVALID");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(47)]
    [InlineData(49)]
    public async Task Measurement_of_wrong_length_is_invalid_argument_with_a_reason(int length)
    {
        await using var server = await ProxyServer.StartAsync();
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        await Denied.Assert(() => Secret(server, launch.SecretRequest(measurement: new byte[length])),
            StatusCode.InvalidArgument,
            $"MEASUREMENT INVALID: launch measurement must be 48 bytes (measure 32 + mnonce 16): got {length}",
            "MEASUREMENT_MALFORMED");
    }

    [Fact]
    public async Task Out_of_range_api_versions_and_negative_ids_are_refused_cleanly()
    {
        await using var server = await ProxyServer.StartAsync();
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        var request = launch.SecretRequest();
        request.ApiMajor = 300;
        await Denied.Assert(() => Secret(server, request), StatusCode.InvalidArgument,
            "API MAJOR VERSION INVALID: API versions are one byte (0..255)", "API_VERSION_OUT_OF_RANGE");
        // A minor out of range is the minor's fault, reported after the major check as in the original order.
        request = launch.SecretRequest();
        request.ApiMinor = 300;
        await Denied.Assert(() => Secret(server, request), StatusCode.InvalidArgument,
            "API MINOR VERSION INVALID: API versions are one byte (0..255)", "API_VERSION_OUT_OF_RANGE");
        request = launch.SecretRequest();
        request.ConnectionId = -5;
        await Denied.Assert(() => Secret(server, request), StatusCode.InvalidArgument, "CONNECTION ID INVALID");
        request = launch.SecretRequest();
        request.BuildId = -1; // 0xffffffff as u32: not in [15, 1600]
        await Denied.Assert(() => Secret(server, request), StatusCode.InvalidArgument, "BUILD-ID INVALID");
    }

    [Fact]
    public async Task Secret_is_released_once_then_the_connection_id_is_dead()
    {
        await using var server = await ProxyServer.StartAsync();
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        Assert.Equal(1, (await server.Sessions.CountAsync()));
        await Secret(server, launch.SecretRequest());
        Assert.Equal(0, (await server.Sessions.CountAsync()));
        await Denied.Assert(() => Secret(server, launch.SecretRequest()), StatusCode.InvalidArgument, "CONNECTION ID INVALID");
    }

    [Fact]
    public async Task Session_closes_after_the_configured_number_of_failed_measurements()
    {
        await using var server = await ProxyServer.StartAsync();
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        var wrong = launch.Measurement.ToArray();
        wrong[0] ^= 0x80;
        await Denied.Assert(() => Secret(server, launch.SecretRequest(measurement: wrong)), StatusCode.InvalidArgument, "MEASUREMENT INVALID");
        await Denied.Assert(() => Secret(server, launch.SecretRequest(measurement: wrong)), StatusCode.InvalidArgument, "MEASUREMENT INVALID");
        await Denied.Assert(() => Secret(server, launch.SecretRequest(measurement: wrong)), StatusCode.InvalidArgument,
            "MEASUREMENT INVALID: too many failed attempts, session closed", "MEASUREMENT_INVALID");
        await Denied.Assert(() => Secret(server, launch.SecretRequest()), StatusCode.InvalidArgument, "CONNECTION ID INVALID");
        Assert.Equal(0, (await server.Sessions.CountAsync()));
    }

    [Fact]
    public async Task Session_expires_after_the_ttl()
    {
        var setup = new ServerSetup();
        setup.Settings["GuestOwnerProxy:Sessions:Ttl"] = "00:01:00";
        await using var server = await ProxyServer.StartAsync(setup);
        using var early = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [setup.OvmfBytes]);
        using var late = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [setup.OvmfBytes]);
        server.Time.Advance(TimeSpan.FromSeconds(59));
        await Secret(server, early.SecretRequest());
        server.Time.Advance(TimeSpan.FromSeconds(1));
        await Denied.Assert(() => Secret(server, late.SecretRequest()), StatusCode.InvalidArgument, "CONNECTION ID INVALID");
        Assert.Equal(0, (await server.Sessions.CountAsync()));
    }

    [Fact]
    public async Task Policy_must_match_the_policy_the_bundle_was_issued_for()
    {
        await using var server = await ProxyServer.StartAsync();
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes], policy: 1);
        var request = launch.SecretRequest("KEYSET-STRICT");
        request.Policy = 0;
        await Denied.Assert(() => Secret(server, request), StatusCode.InvalidArgument,
            "POLICY INVALID: policy differs from the one the launch bundle was issued for", "POLICY_MISMATCH");
        Assert.Single(launch.Inject(await Secret(server, launch.SecretRequest("KEYSET-STRICT"))));
    }

    [Fact]
    public async Task Keyset_platform_and_chip_pinning()
    {
        var setup = new ServerSetup();
        setup.KeysetsJson = """
            {
              "SEV-ONLY": { "platform": "sev", "allowed_images": [ { "name": "o", "ovmf": "images/ovmf.fd" } ],
                "allowed_keys": ["key_id1"], "allowed-policies": [0], "allowed-build-ids": [1600, 15] },
              "OTHER-CHIP": { "allowed_images": [ { "name": "o", "ovmf": "images/ovmf.fd" } ], "allowed-chips": ["00ff"],
                "allowed_keys": ["key_id1"], "allowed-policies": [0], "allowed-build-ids": [1600, 15] }
            }
            """;
        await using var server = await ProxyServer.StartAsync(setup);
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [setup.OvmfBytes]);
        await Denied.Assert(() => Secret(server, launch.SecretRequest("SEV-ONLY")), StatusCode.InvalidArgument,
            "KEYSET INVALID: keyset is not for this session's platform", "KEYSET_PLATFORM_MISMATCH");
        await Denied.Assert(() => Secret(server, launch.SecretRequest("OTHER-CHIP")), StatusCode.InvalidArgument,
            "KEYSET INVALID: platform chip is not allowed for this keyset", "CHIP_NOT_ALLOWED");

        var chip = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().First()).ChipId;
        Assert.Matches("^[0-9a-f]{64}$", chip);
    }

    [Fact]
    public async Task Full_store_answers_resource_exhausted()
    {
        var setup = new ServerSetup();
        setup.Settings["GuestOwnerProxy:Sessions:MaxSessions"] = "2";
        await using var server = await ProxyServer.StartAsync(setup);
        var request = SimulatedLaunch.BundleRequestFor(TestPlatforms.Sev);
        await server.Client.GetLaunchBundleAsync(request);
        await server.Client.GetLaunchBundleAsync(request);
        await Denied.Assert(() => server.Client.GetLaunchBundleAsync(request).ResponseAsync,
            StatusCode.ResourceExhausted, "TOO MANY SESSIONS: retry later", "TOO_MANY_SESSIONS");
        server.Time.Advance(TimeSpan.FromMinutes(6));
        await server.Client.GetLaunchBundleAsync(request); // expired sessions make room
    }
}
