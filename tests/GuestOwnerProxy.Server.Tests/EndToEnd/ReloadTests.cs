using GuestOwnerProxy.Server.Hosting;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

public sealed class ReloadTests
{
    private static bool Serving(HealthCheckRegistration check) => check.Tags.Contains(HealthServices.ServingTag);


    [Fact]
    public async Task Broken_edit_keeps_the_last_good_configuration_and_a_fixed_one_is_picked_up()
    {
        await using var server = await ProxyServer.StartAsync();
        var keysets = server.Setup.Directory.File("keysets.json");
        using var before = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);

        File.WriteAllText(keysets, "{ \"KEYSET-1\": { \"allowed_keys\": [\"key_id1\"], \n  oops } }");
        // WriteAllText is not atomic: a poll may first see the file half written (rejected with another position), so
        // wait for the rejection of the whole edit.
        await Eventually.WaitFor(() => server.Logs.RenderedLines().Any(l => l.Contains("line 2, column 3", StringComparison.Ordinal)));
        Assert.True(server.ConfigurationStore.RejectedReloads >= 1);
        Assert.True(server.Logs.Contains("Configuration change rejected", Serilog.Events.LogEventLevel.Error));
        Assert.Equal(1, server.ConfigurationStore.Current.Version);

        // The old rules still serve, for sessions issued before and after the broken edit.
        Assert.Single(before.Inject(await server.Client.GetLaunchSecretAsync(before.SecretRequest())));
        using var during = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        Assert.Single(during.Inject(await server.Client.GetLaunchSecretAsync(during.SecretRequest())));

        // A valid edit (unknown key id would be rejected too; this one is fine) replaces the keysets.
        File.WriteAllText(keysets, """
            { "KEYSET-NEW": { "allowed_images": [ { "name": "o", "ovmf": "images/ovmf.fd" } ],
              "allowed_keys": ["key_id2"], "allowed-policies": [0], "allowed-build-ids": [15] } }
            """);
        await Eventually.WaitFor(() => server.ConfigurationStore.Current.Version == 2);
        using var after = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(after.SecretRequest("KEYSET-1")).ResponseAsync,
            StatusCode.InvalidArgument, "KEYSET INVALID");
        Assert.Single(after.Inject(await server.Client.GetLaunchSecretAsync(after.SecretRequest("KEYSET-NEW"))));
    }

    [Fact]
    public async Task Same_size_edit_with_the_old_time_stamp_is_picked_up()
    {
        await using var server = await ProxyServer.StartAsync();
        var keysets = server.Setup.Directory.File("keysets.json");
        var stamp = File.GetLastWriteTimeUtc(keysets);
        var text = File.ReadAllText(keysets);
        // KEYSET-1 stops allowing build 1600 (the CSV simulator): same length, same time stamp.
        var edited = text.Replace("\"allowed-build-ids\": [15, 1600]", "\"allowed-build-ids\": [15, 1601]");
        Assert.NotEqual(text, edited);
        Assert.Equal(text.Length, edited.Length);
        File.WriteAllText(keysets, edited);
        File.SetLastWriteTimeUtc(keysets, stamp);

        await Eventually.WaitFor(() => server.ConfigurationStore.Current.Version == 2);
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(launch.SecretRequest()).ResponseAsync,
            StatusCode.InvalidArgument, "BUILD-ID INVALID");
    }

    [Fact]
    public async Task Health_is_degraded_while_an_edit_is_rejected_and_healthy_once_it_is_undone()
    {
        await using var server = await ProxyServer.StartAsync();
        var health = server.App.Services.GetRequiredService<HealthCheckService>();
        var keysets = server.Setup.Directory.File("keysets.json");
        var good = File.ReadAllText(keysets);
        File.WriteAllText(keysets, "{ broken");
        await Eventually.WaitFor(() => server.ConfigurationStore.RejectedReloads >= 1);
        // The overall status (grpc.health.v1 ""): the checks tagged serving; gop.config has a test of its own (HealthServiceTests).
        var report = await health.CheckHealthAsync(Serving);
        Assert.Equal(HealthStatus.Degraded, report.Status);
        Assert.Contains("rejected", report.Entries["configuration"].Description);

        File.WriteAllText(keysets, good);
        await Eventually.WaitFor(() => server.ConfigurationStore.LastRejection is null);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(Serving)).Status);
        // The same broken content again is rejected again (and logged once per distinct state).
        Assert.Equal(1, server.ConfigurationStore.Current.Version);
    }

    [Fact]
    public async Task Keys_edit_with_an_unknown_key_id_is_rejected()
    {
        await using var server = await ProxyServer.StartAsync();
        File.WriteAllText(server.Setup.Directory.File("keys.json"), """{ "key_id1": "AAAA" }""");
        await Eventually.WaitFor(() => server.ConfigurationStore.RejectedReloads >= 1);
        Assert.Contains(server.Logs.RenderedLines(), l => l.Contains("key id 'key_id2' is not defined", StringComparison.Ordinal));
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        LaunchTests.AssertGuestGotKeys(launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest())), server.Setup);
    }

    [Fact]
    public async Task Changed_image_file_is_redigested()
    {
        await using var server = await ProxyServer.StartAsync();
        var newImage = System.Security.Cryptography.RandomNumberGenerator.GetBytes(4096);
        File.WriteAllBytes(server.Setup.OvmfPath, newImage);
        await Eventually.WaitFor(() => server.ConfigurationStore.Current.Version == 2);
        using var stale = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(stale.SecretRequest()).ResponseAsync,
            StatusCode.InvalidArgument, "MEASUREMENT INVALID");
        using var fresh = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [newImage]);
        Assert.Single(fresh.Inject(await server.Client.GetLaunchSecretAsync(fresh.SecretRequest())));
    }
}
