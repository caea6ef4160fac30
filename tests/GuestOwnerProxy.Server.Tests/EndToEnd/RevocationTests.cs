using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Grpc.Core;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>Trust removed while sessions are open: a session remembers the trust that admitted it and is checked again.</summary>
public sealed class RevocationTests
{
    private static async Task WaitForVersion(ProxyServer server, long version)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (server.ConfigurationStore.Current.Version < version)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"configuration version {version} not reached within 10 s");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Sessions_opened_before_a_root_is_removed_get_no_secret()
    {
        await using var server = await ProxyServer.StartAsync();
        using var csv = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        using var sev = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);

        // The operator replaces both root files with other vendors' roots (and keeps the extra-root pins): the
        // platforms' roots are no longer among the trusted root certificates.
        var other = server.Setup.Directory.File("other-roots");
        TestPlatforms.Untrusted(PlatformKind.Csv).WriteTrustFiles(other + "/csv");
        TestPlatforms.Untrusted(PlatformKind.Sev).WriteTrustFiles(other + "/sev");
        File.Copy(other + "/csv/hrk.cert", server.Setup.Directory.File("trust/csv/hrk.cert"), overwrite: true);
        File.Copy(other + "/sev/ark.cert", server.Setup.Directory.File("trust/sev/ark.cert"), overwrite: true);
        await WaitForVersion(server, 2);

        foreach (var launch in new[] { csv, sev })
        {
            var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.GetLaunchSecretAsync(launch.SecretRequest()).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.StartsWith("CERTIFICATE CHAIN INVALID: the platform's chain no longer verifies under the current trust: ", ex.Status.Detail);
            Assert.Equal("CERTIFICATE_CHAIN_REVOKED", Services.RpcStatusMapper.ReasonOf(ex));
        }
        // A session that can never pass again is closed, not verified again on every retry.
        Assert.Equal(0, await server.Sessions.CountAsync());
        var denied = server.AuditLines().Select(LaunchTests.JsonLinesAuditLogParse).Where(r => r.Event == "secret").ToList();
        Assert.Equal(2, denied.Count);
        Assert.All(denied, r => Assert.Equal(("denied", "CERTIFICATE_CHAIN_REVOKED"), (r.Decision, r.Reason)));
    }

    [Fact]
    public async Task A_session_opened_before_its_hsk_is_removed_gets_no_secret_while_an_unchanged_trust_needs_no_check()
    {
        await using var server = await ProxyServer.StartAsync();
        using var kept = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        // An edit that leaves the trust as it is (keysets only) does not disturb open sessions.
        var keysets = server.Setup.Directory.File("keysets.json");
        File.WriteAllText(keysets, File.ReadAllText(keysets) + "\n");
        await WaitForVersion(server, 2);
        Assert.Single(kept.Inject(await server.Client.GetLaunchSecretAsync(kept.SecretRequest())));

        using var revoked = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        var other = server.Setup.Directory.File("other-hsk");
        TestPlatforms.Untrusted(PlatformKind.Csv).WriteTrustFiles(other);
        File.Copy(other + "/hsk_cek.cert", server.Setup.Directory.File("trust/csv/hsk_cek.cert"), overwrite: true);
        await WaitForVersion(server, 3);

        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.GetLaunchSecretAsync(revoked.SecretRequest()).ResponseAsync);
        Assert.Equal("CERTIFICATE_CHAIN_REVOKED", Services.RpcStatusMapper.ReasonOf(ex));
        Assert.StartsWith("CERTIFICATE CHAIN INVALID: the platform's chain no longer verifies under the current trust: ", ex.Status.Detail);
        var last = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Last());
        Assert.Equal(("denied", "CERTIFICATE_CHAIN_REVOKED"), (last.Decision, last.Reason));
    }

    [Fact]
    public async Task A_chip_dropped_from_allowed_chips_reaches_an_open_session()
    {
        await using var server = await ProxyServer.StartAsync();
        using (await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes])) { }
        var chip = LaunchTests.JsonLinesAuditLogParse(server.AuditLines().Single()).ChipId!;
        var keysets = server.Setup.Directory.File("keysets.json");
        var pinned = File.ReadAllText(keysets).Replace("\"allowed-build-ids\": [15, 1600]", $"\"allowed-build-ids\": [15, 1600], \"allowed-chips\": [\"{chip}\"]");
        File.WriteAllText(keysets, pinned);
        await WaitForVersion(server, 2);
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);

        File.WriteAllText(keysets, pinned.Replace(chip, new string('0', 64)));
        await WaitForVersion(server, 3);

        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(launch.SecretRequest()).ResponseAsync,
            StatusCode.InvalidArgument, "KEYSET INVALID: platform chip is not allowed for this keyset", "CHIP_NOT_ALLOWED");
    }
}
