using GuestOwnerProxy.Protocol.KeyBroker;
using GuestOwnerProxy.Server.Tests.EndToEnd;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Grpc.Core;

namespace GuestOwnerProxy.Server.Tests.KeyBroker;

/// <summary>Refusals of the keybroker protocol: precise statuses and reasons, audited, and the session survives them.</summary>
public sealed class KeyBrokerDenialTests
{
    private static KeyBrokerService.KeyBrokerServiceClient Client(ProxyServer server) => new(server.Channel);

    [Fact]
    public async Task Forged_fw_digest_is_refused_and_does_not_burn_the_session()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        var forged = launch.KataRequest();
        var digest = launch.Launch.LaunchDigest.ToArray();
        digest[0] ^= 0x80;
        forged.FwDigest = Convert.ToBase64String(digest);
        await Rejected.Assert(() => client.GetSecretAsync(forged).ResponseAsync, StatusCode.InvalidArgument, "FW_DIGEST_NOT_ALLOWED",
            "FW DIGEST INVALID: FwDigest is not one of the keyset's allowed digests or image digests");
        var audit = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal(("denied", "FW_DIGEST_NOT_ALLOWED", launch.Bundle.LaunchId), (audit.Decision, audit.Reason, audit.LaunchId));

        LaunchTests.AssertGuestGotKeys(launch.Inject(await client.GetSecretAsync(launch.KataRequest())), server.Setup);
    }

    [Fact]
    public async Task Allowed_fw_digest_does_not_replace_the_measurement_check()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        // The guest ran other code, but the host claims the allowed digest: the measurement still decides.
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Sev, [new byte[4096]]);
        var request = launch.KataRequest();
        request.FwDigest = Convert.ToBase64String(Crypto.Launch.LaunchDigest.Compute(
            Crypto.Common.PlatformRegistry.Default.For(Crypto.Common.PlatformKind.Sev).Crypto, server.Setup.OvmfBytes));
        await Rejected.Assert(() => client.GetSecretAsync(request).ResponseAsync, StatusCode.InvalidArgument, "MEASUREMENT_INVALID");
    }

    [Fact]
    public async Task Unknown_launch_id_and_replay_are_not_found()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        var unknown = launch.KataRequest();
        unknown.LaunchId = Guid.NewGuid().ToString();
        const string detail = "LAUNCH ID INVALID: no live session for this launch id (unknown, expired or already used)";
        await Denied.Assert(() => client.GetSecretAsync(unknown).ResponseAsync, StatusCode.NotFound, detail, "LAUNCH_ID_UNKNOWN");

        Assert.Single(launch.Inject(await client.GetSecretAsync(launch.KataRequest())));
        await Denied.Assert(() => client.GetSecretAsync(launch.KataRequest()).ResponseAsync, StatusCode.NotFound, detail, "LAUNCH_ID_UNKNOWN");
        Assert.Equal("denied", LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last()).Decision);
    }

    public static TheoryData<string, string, string> MalformedFields => new()
    {
        // field, reason, detail
        { "LaunchMeasurement", "MEASUREMENT_MALFORMED", "LaunchMeasurement is not valid base64" },
        { "FwDigest", "FW_DIGEST_MALFORMED", "FW DIGEST INVALID: FwDigest is not valid base64" },
        { "FwDigest-length", "FW_DIGEST_MALFORMED", "FW DIGEST INVALID: FwDigest is 16 bytes, a launch digest has 32" },
        { "Measurement-length", "MEASUREMENT_MALFORMED", "must be 48 bytes (measure 32 + mnonce 16): got 47" },
        { "LaunchId", "LAUNCH_ID_MALFORMED", "LAUNCH ID INVALID: LaunchId 'not-a-uuid' is not a UUID" },
        { "LaunchId-empty", "LAUNCH_ID_MALFORMED", "LAUNCH ID INVALID: LaunchId is empty" },
        { "Guid", "SECRET_REQUEST_INVALID", "SecretRequests[0].Guid 'e6f5a162-XXXX' is not a GUID" },
        { "Guid-nil", "SECRET_REQUEST_INVALID", "SecretRequests[0].Guid is the nil GUID" },
        { "Guid-twice", "SECRET_REQUEST_INVALID", "SecretRequests[1].Guid e6f5a162-d67f-4750-a67c-5d065f2a9910 is requested twice" },
        { "Format", "SECRET_REQUEST_INVALID", "SecretRequests[0].Format 'xml' is not a format (binary, json)" },
        { "Format-bundle-binary", "SECRET_REQUEST_INVALID", "a keyset bundle is a JSON object of keys" },
        { "SecretType", "SECRET_REQUEST_INVALID", "SecretRequests[0].SecretType 'password' is not a secret type" },
        { "Id", "SECRET_REQUEST_INVALID", "SecretRequests[0].Id is empty" },
        { "none", "SECRET_REQUEST_INVALID", "SecretRequests is empty" },
        { "two-keysets", "SECRET_REQUEST_INVALID", "the bundle entries name different keysets" },
        { "key-not-allowed", "KEY_NOT_IN_KEYSET", "KEYSET INVALID: key is not in the keyset's allowed_keys: 'unused' is not in keyset 'KEYSET-1'" },
        { "keyset", "KEYSET_INVALID", "KEYSET INVALID" },
    };

    [Theory]
    [MemberData(nameof(MalformedFields))]
    public async Task Malformed_fields_are_invalid_argument_with_the_field_named_and_the_session_survives(string field, string reason, string detail)
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        var request = launch.KataRequest();
        var entry = request.SecretRequests[0];
        switch (field)
        {
            case "LaunchMeasurement": request.LaunchMeasurement = "not base64!"; break;
            case "FwDigest": request.FwDigest = "%%%"; break;
            case "FwDigest-length": request.FwDigest = Convert.ToBase64String(new byte[16]); break;
            case "Measurement-length": request.LaunchMeasurement = Convert.ToBase64String(launch.Measurement[..47]); break;
            case "LaunchId": request.LaunchId = "not-a-uuid"; break;
            case "LaunchId-empty": request.LaunchId = ""; break;
            case "Guid": entry.Guid = "e6f5a162-XXXX"; break;
            case "Guid-nil": entry.Guid = Guid.Empty.ToString(); break;
            case "Guid-twice": request.SecretRequests.Add(entry.Clone()); break;
            case "Format": entry.Format = "xml"; break;
            case "Format-bundle-binary": entry.Format = "binary"; break;
            case "SecretType": entry.SecretType = "password"; break;
            case "Id": entry.Id = ""; break;
            case "none": request.SecretRequests.Clear(); break;
            case "two-keysets":
                request.SecretRequests.Add(new RequestDetails { Guid = Guid.NewGuid().ToString(), Format = "json", SecretType = "bundle", Id = "KEYSET-STRICT" });
                break;
            case "key-not-allowed":
                request.SecretRequests.Add(new RequestDetails { Guid = Guid.NewGuid().ToString(), Format = "binary", SecretType = "key", Id = "unused" });
                break;
            case "keyset": entry.Id = "KEYSET-404"; break;
        }
        var ex = await Rejected.Assert(() => client.GetSecretAsync(request).ResponseAsync, StatusCode.InvalidArgument, reason, detail);
        Assert.DoesNotContain(request.LaunchMeasurement.Length > 8 ? request.LaunchMeasurement : "\0", ex.Status.Detail, StringComparison.Ordinal);

        var audit = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal(("secret", "denied", reason, "keybroker"), (audit.Event, audit.Decision, audit.Reason, audit.Protocol));

        // None of these counts against the session: the genuine request still succeeds.
        LaunchTests.AssertGuestGotKeys(launch.Inject(await client.GetSecretAsync(launch.KataRequest())), server.Setup);
    }

    [Fact]
    public async Task Secrets_that_do_not_fit_the_secret_area_are_refused_and_the_session_survives()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        var request = launch.KataRequest();
        for (int i = 0; i < 60; i++)
            request.SecretRequests.Add(new RequestDetails { Guid = Guid.NewGuid().ToString(), Format = "json", SecretType = "key", Id = "key_id2" });
        await Rejected.Assert(() => client.GetSecretAsync(request).ResponseAsync, StatusCode.InvalidArgument, "SECRET_REQUEST_INVALID",
            "the guest's secret area holds 3072");
        LaunchTests.AssertGuestGotKeys(launch.Inject(await client.GetSecretAsync(launch.KataRequest())), server.Setup);
    }

    [Theory]
    [InlineData("not base64!", "CertificateChain is not valid base64")]
    [InlineData("", "CertificateChain: 0 bytes, shorter than one PDH certificate (2084 bytes)")]
    [InlineData("AAAA", "CertificateChain: 3 bytes, shorter than one PDH certificate")]
    public async Task Malformed_certificate_chain_is_invalid_argument(string chain, string detail)
    {
        await using var server = await ProxyServer.StartAsync();
        await Rejected.Assert(() => Client(server).GetBundleAsync(new BundleRequest { CertificateChain = chain }).ResponseAsync,
            StatusCode.InvalidArgument, "CERTIFICATE_INVALID", detail);
        var audit = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal(("bundle", "denied", "CERTIFICATE_INVALID"), (audit.Event, audit.Decision, audit.Reason));
        Assert.Equal(0, (await server.Sessions.CountAsync()));
    }

    [Fact]
    public async Task Chain_of_an_unknown_size_names_the_accepted_layouts()
    {
        await using var server = await ProxyServer.StartAsync();
        var chain = TestPlatforms.Sev.FullChain[..9000];
        await Rejected.Assert(() => Client(server).GetBundleAsync(KeyBrokerLaunch.BundleRequestFor(chain)).ResponseAsync,
            StatusCode.InvalidArgument, "CERTIFICATE_INVALID", "9000 bytes; expected PDH ‖ PEK ‖ OCA ‖ CEK (8336)");
    }

    [Theory]
    [InlineData("resource")]
    [InlineData("connection")]
    [InlineData("report")]
    [InlineData("Resource")]
    public async Task Unsupported_secret_types_are_unimplemented(string type)
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        var request = launch.KataRequest();
        request.SecretRequests.Add(new RequestDetails { Guid = "1ee27366-0c87-43a6-af48-28543eaf7cb0", Format = "json", SecretType = type, Id = "x" });
        await Rejected.Assert(() => client.GetSecretAsync(request).ResponseAsync, StatusCode.Unimplemented, "SECRET_TYPE_UNSUPPORTED",
            $"SECRET TYPE UNSUPPORTED: SecretRequests[1]: '{type.ToLowerInvariant()}' secrets are not served by this broker");
        Assert.Single(launch.Inject(await client.GetSecretAsync(launch.KataRequest())));
    }

    [Fact]
    public async Task Online_secret_is_unimplemented_with_a_message()
    {
        await using var server = await ProxyServer.StartAsync();
        var request = new OnlineSecretRequest { ClientId = Guid.NewGuid().ToString() };
        await Rejected.Assert(() => Client(server).GetOnlineSecretAsync(request).ResponseAsync, StatusCode.Unimplemented,
            "ONLINE_SECRET_UNSUPPORTED", "GetOnlineSecret (the online KBC's AES-256-GCM channel) is not served by this broker");
        Assert.Equal("online-secret", LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last()).Event);
    }

    [Fact]
    public async Task Keyset_rules_and_bound_policy_apply_as_for_setup()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        var request = launch.KataRequest("KEYSET-STRICT");
        request.BuildId = 1599;
        await Denied.Assert(() => client.GetSecretAsync(request).ResponseAsync, StatusCode.InvalidArgument, "BUILD-ID INVALID", "BUILD_ID_INVALID");
        request = launch.KataRequest("KEYSET-STRICT");
        request.Policy = 1; // allowed by the keyset, but the bundle was issued for policy 0
        await Rejected.Assert(() => client.GetSecretAsync(request).ResponseAsync, StatusCode.InvalidArgument, "POLICY_MISMATCH");
        request = launch.KataRequest("KEYSET-STRICT");
        request.ApiMajor = 300;
        await Rejected.Assert(() => client.GetSecretAsync(request).ResponseAsync, StatusCode.InvalidArgument, "API_VERSION_OUT_OF_RANGE");
        Assert.Single(launch.Inject(await client.GetSecretAsync(launch.KataRequest("KEYSET-STRICT"))));
    }
}
