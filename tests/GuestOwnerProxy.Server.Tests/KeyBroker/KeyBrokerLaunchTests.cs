using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Protocol.KeyBroker;
using GuestOwnerProxy.Server.Tests.EndToEnd;
using GuestOwnerProxy.Server.Tests.Infrastructure;

namespace GuestOwnerProxy.Server.Tests.KeyBroker;

/// <summary>Whole launches through /keybroker.KeyBrokerService over real Kestrel + h2c, with the simulated firmware.</summary>
public sealed class KeyBrokerLaunchTests
{
    private static KeyBrokerService.KeyBrokerServiceClient Client(ProxyServer server) => new(server.Channel);

    [Theory]
    [InlineData(PlatformKind.Csv)]
    [InlineData(PlatformKind.Sev)]
    public async Task Kata_request_shape_with_the_full_chain_export_releases_the_keyset_bundle(PlatformKind kind)
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.For(kind), [server.Setup.OvmfBytes]);
        Assert.True(Guid.TryParseExact(launch.Bundle.LaunchId, "D", out _));
        Assert.Equal(2084, Convert.FromBase64String(launch.Bundle.GuestOwnerPublicKey).Length);

        var response = await client.GetSecretAsync(launch.KataRequest());
        Assert.Equal(52, Convert.FromBase64String(response.LaunchSecretHeader).Length);
        // Same payload, byte for byte, as the Setup path.
        LaunchTests.AssertGuestGotKeys(launch.Inject(response), server.Setup);

        var audit = server.AuditLines().Select(LaunchTests.JsonLinesAuditLogParse).ToList();
        var bundle = audit.Single(r => r.Event == "bundle");
        Assert.Equal(("issued", "keybroker", launch.Bundle.LaunchId), (bundle.Decision, bundle.Protocol, bundle.LaunchId));
        Assert.True(bundle.ChainVerified);
        var secret = audit.Single(r => r.Event == "secret");
        Assert.Equal(("released", "keybroker", launch.Bundle.LaunchId, "KEYSET-1"), (secret.Decision, secret.Protocol, secret.LaunchId, secret.Keyset));
        Assert.Equal("image 'test-ovmf'", secret.Matched);
        Assert.Equal(0, (await server.Sessions.CountAsync()));
    }

    [Fact]
    public async Task Pdh_pek_oca_cek_layout_works_for_both_platforms_without_fw_digest()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        foreach (var platform in new[] { TestPlatforms.Csv(), TestPlatforms.Sev })
        {
            using var launch = await KeyBrokerLaunch.StartAsync(client, platform, [server.Setup.OvmfBytes],
                chain: [.. platform.PdhCertificate, .. platform.CertificateChain]);
            LaunchTests.AssertGuestGotKeys(launch.Inject(await client.GetSecretAsync(launch.KataRequest(withFwDigest: false))), server.Setup);
        }
    }

    [Fact]
    public async Task Csv_full_chain_brings_its_own_hsk_so_only_the_root_pin_is_configured()
    {
        // No hsk_cek file and no root file: only the simulator's HRK fingerprint is trusted.
        var setup = new ServerSetup { TrustTestRoots = false };
        setup.Settings["GuestOwnerProxy:Trust:ExtraRootFingerprints:0"] = TestPlatforms.Csv().RootFingerprint;
        await using var server = await ProxyServer.StartAsync(setup);
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Csv(), [setup.OvmfBytes]);
        LaunchTests.AssertGuestGotKeys(launch.Inject(await client.GetSecretAsync(launch.KataRequest())), setup);

        // The short layout has no HSK: the chain cannot be verified with this trust.
        var csv = TestPlatforms.Csv();
        await Rejected.Assert(() => client.GetBundleAsync(KeyBrokerLaunch.BundleRequestFor([.. csv.PdhCertificate, .. csv.CertificateChain])).ResponseAsync,
            Grpc.Core.StatusCode.InvalidArgument, "CERTIFICATE_CHAIN_INVALID");
        // And a CSV full chain from another vendor root still fails: the HRK it carries is not trusted.
        var untrusted = TestPlatforms.Untrusted(PlatformKind.Csv);
        await Rejected.Assert(() => client.GetBundleAsync(KeyBrokerLaunch.BundleRequestFor(untrusted.FullChain)).ResponseAsync,
            Grpc.Core.StatusCode.InvalidArgument, "CERTIFICATE_CHAIN_INVALID");
    }

    [Theory]
    [InlineData("binary")]
    [InlineData("BINARY")]
    [InlineData("json")]
    [InlineData("Json")]
    public async Task Key_secret_in_binary_and_json_at_the_requested_guids(string format)
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        var keyGuid = Guid.Parse("736869e5-84f0-4973-92ec-06879ce3da0b");
        var request = launch.KataRequest();
        request.SecretRequests.Add(new RequestDetails { Guid = keyGuid.ToString(), Format = format, SecretType = "key", Id = "key_id2" });

        var entries = launch.Inject(await client.GetSecretAsync(request));
        Assert.Equal([KnownGuids.KeysetBundle, keyGuid], entries.Select(e => e.Guid));
        var key = entries[1].Data;
        if (format.Equals("binary", StringComparison.OrdinalIgnoreCase))
            Assert.Equal(Convert.FromBase64String(server.Setup.Key2), key);
        else
            Assert.Equal($$"""{"key_id2": "{{server.Setup.Key2}}"}""", Encoding.ASCII.GetString(key));
    }

    [Fact]
    public async Task Key_only_request_names_its_keyset_in_launch_description()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        var request = launch.KataRequest();
        request.SecretRequests.Clear();
        request.SecretRequests.Add(new RequestDetails { Guid = KeyBrokerLaunch.KataGuid, Format = "binary", SecretType = "key", Id = "key_id1" });
        request.LaunchDescription = "";
        await Rejected.Assert(() => client.GetSecretAsync(request).ResponseAsync, Grpc.Core.StatusCode.InvalidArgument, "KEYSET_MISSING");

        request.LaunchDescription = "KEYSET-STRICT";
        var entry = Assert.Single(launch.Inject(await client.GetSecretAsync(request)));
        Assert.Equal(Convert.FromBase64String(ServerSetup.Key1), entry.Data);
    }

    [Fact]
    public async Task Setup_and_keybroker_sessions_share_one_store()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var a = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        using var b = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        Assert.Equal(2, (await server.Sessions.CountAsync()));
        Assert.Single(a.Inject(await client.GetSecretAsync(a.KataRequest())));
        Assert.Single(b.Inject(await server.Client.GetLaunchSecretAsync(b.SecretRequest())));
        Assert.Equal(0, (await server.Sessions.CountAsync()));
    }

    [Fact]
    public async Task Session_ttl_applies_to_launch_ids()
    {
        await using var server = await ProxyServer.StartAsync();
        var client = Client(server);
        using var launch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        server.Time.Advance(TimeSpan.FromDays(1));
        await Denied.Assert(() => client.GetSecretAsync(launch.KataRequest()).ResponseAsync,
            Grpc.Core.StatusCode.NotFound, "LAUNCH ID INVALID: no live session for this launch id (unknown, expired or already used)", "LAUNCH_ID_UNKNOWN");
    }
}
