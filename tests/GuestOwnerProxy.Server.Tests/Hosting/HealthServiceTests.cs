using Grpc.Core;
using Grpc.Health.V1;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace GuestOwnerProxy.Server.Tests.Hosting;

/// <summary>
/// grpc.health.v1 per service name over real gRPC: the overall status and each broker service SERVING while the last
/// good configuration serves; <c>gop.config</c> NOT_SERVING exactly while an edit is rejected.
/// </summary>
public sealed class HealthServiceTests
{
    private static readonly string[] BrokerServices = ["", "Setup", "keybroker.KeyBrokerService"];

    [Fact]
    public async Task Every_service_name_answers_serving_with_a_good_configuration()
    {
        await using var server = await ProxyServer.StartAsync();
        var health = new Health.HealthClient(server.Channel);

        foreach (var service in BrokerServices.Append("gop.config"))
            Assert.Equal(ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = service })).Status);
    }

    [Fact]
    public async Task An_unknown_service_name_is_not_found()
    {
        await using var server = await ProxyServer.StartAsync();
        var health = new Health.HealthClient(server.Channel);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await health.CheckAsync(new HealthCheckRequest { Service = "Setup2" }));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task A_rejected_edit_turns_gop_config_not_serving_while_the_broker_stays_serving_until_it_is_fixed()
    {
        await using var server = await ProxyServer.StartAsync();
        var health = new Health.HealthClient(server.Channel);
        var keysets = server.Setup.Directory.File("keysets.json");

        File.WriteAllText(keysets, "{ \"KEYSET-1\": { oops } }");
        await Eventually.WaitFor(() => server.ConfigurationStore.RejectedReloads >= 1);

        Assert.Equal(ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest { Service = "gop.config" })).Status);
        foreach (var service in BrokerServices)
            Assert.Equal(ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = service })).Status);

        File.WriteAllText(keysets, server.Setup.KeysetsJson);
        await Eventually.WaitFor(() => server.ConfigurationStore.LastRejection is null);
        Assert.Equal(ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "gop.config" })).Status);
    }

    [Fact]
    public async Task Probes_during_a_rejected_edit_add_no_log_lines()
    {
        // A Docker HEALTHCHECK or a Kubernetes probe asks every few seconds: the rejection is logged once, by the reload,
        // not again by ASP.NET's health-check service on every probe.
        await using var server = await ProxyServer.StartAsync();
        var health = new Health.HealthClient(server.Channel);
        File.WriteAllText(server.Setup.Directory.File("keysets.json"), "{ \"KEYSET-1\": { oops } }");
        await Eventually.WaitFor(() => server.ConfigurationStore.RejectedReloads >= 1);
        int before = server.Logs.Events.Count;

        for (int probe = 0; probe < 5; probe++)
            foreach (var service in BrokerServices.Append("gop.config"))
                await health.CheckAsync(new HealthCheckRequest { Service = service });

        var added = server.Logs.RenderedLines().Skip(before).ToList();
        Assert.DoesNotContain(added, line => line.Contains("Health check", StringComparison.OrdinalIgnoreCase));
        Assert.True(added.Count <= 1, string.Join("\n", added)); // at most a reload poll's own line, never one per probe
    }

}
