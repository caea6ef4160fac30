using System.Text;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Sessions.Redis;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using GuestOwnerProxy.Server.Tests.KeyBroker;
using GuestOwnerProxy.Server.Tests.Sessions;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>
/// Whole launches over real gRPC with <c>Sessions:Store = redis</c> on a real redis-server: two servers (replicas)
/// sharing one Redis, a secrecy scan of everything in Redis after real launches, and Redis going away mid-run.
/// The same with real <c>gop serve</c> processes, kill -9 and restarts: tests/GuestOwnerProxy.Cli.Tests/ReplicaTests.cs.
/// </summary>
public sealed class RedisSessionTests
{
    private static ServerSetup RedisSetup(RedisServer redis, out string prefix)
    {
        var setup = new ServerSetup();
        prefix = $"e2e{Guid.NewGuid():N}:";
        var key = setup.Directory.File("sealing/k1");
        Directory.CreateDirectory(Path.GetDirectoryName(key)!);
        SealingKey.Create(key);
        setup.Settings["GuestOwnerProxy:Sessions:Store"] = "redis";
        setup.Settings["GuestOwnerProxy:Sessions:Redis:Configuration"] = redis.Address;
        setup.Settings["GuestOwnerProxy:Sessions:Redis:KeyPrefix"] = prefix;
        setup.Settings["GuestOwnerProxy:Sessions:Redis:SealingKeyFiles:0"] = key;
        setup.Settings["GuestOwnerProxy:Sessions:Redis:Timeout"] = redis == RedisServer.Shared ? "00:00:05" : "00:00:01";
        return setup;
    }

    [RedisFact]
    public async Task A_bundle_from_one_replica_is_redeemed_on_the_other_on_both_protocols_and_only_once()
    {
        var setup = RedisSetup(RedisServer.Shared, out _);
        await using var a = await ProxyServer.StartAsync(setup);
        await using var b = await ProxyServer.StartAsync(setup.Replica());

        foreach (var platform in new[] { TestPlatforms.Csv(), TestPlatforms.Sev })
        {
            using var launch = await SimulatedLaunch.StartAsync(a.Client, platform, [setup.OvmfBytes]);
            var entries = launch.Inject(await b.Client.GetLaunchSecretAsync(launch.SecretRequest()));
            Assert.Equal($$"""{"key_id1": "{{ServerSetup.Key1}}", "key_id2": "{{setup.Key2}}"}""", Encoding.ASCII.GetString(Assert.Single(entries).Data));
            await Rejected.Assert(() => a.Client.GetLaunchSecretAsync(launch.SecretRequest()).ResponseAsync,
                StatusCode.InvalidArgument, "CONNECTION_ID_INVALID");

            var keybrokerA = new Protocol.KeyBroker.KeyBrokerService.KeyBrokerServiceClient(a.Channel);
            var keybrokerB = new Protocol.KeyBroker.KeyBrokerService.KeyBrokerServiceClient(b.Channel);
            using var kbs = await KeyBrokerLaunch.StartAsync(keybrokerB, platform, [setup.OvmfBytes]);
            Assert.Single(kbs.Inject(await keybrokerA.GetSecretAsync(kbs.KataRequest())));
            await Rejected.Assert(() => keybrokerB.GetSecretAsync(kbs.KataRequest()).ResponseAsync, StatusCode.NotFound, "LAUNCH_ID_UNKNOWN");
        }
        Assert.Equal(0, await a.Sessions.CountAsync()); // a released last; its next command sees that done
    }

    [RedisFact]
    public async Task After_real_launches_nothing_in_redis_holds_a_tek_tik_or_key_in_any_spelling()
    {
        var recorder = new ConcurrencyAndSecrecyTests.KeyRecorder();
        var setup = RedisSetup(RedisServer.Shared, out var prefix);
        setup.Services = services => services.AddSingleton<ISessionStore>(sp =>
            new ConcurrencyAndSecrecyTests.RecordingStore(sp.GetRequiredService<RedisSessionStore>(), recorder));
        await using var server = await ProxyServer.StartAsync(setup);

        var open = new List<IDisposable>();
        foreach (var platform in new[] { TestPlatforms.Csv(), TestPlatforms.Sev, TestPlatforms.Csv(), TestPlatforms.Sev })
        {
            // Half the launches stay open (bundle only, one failed measurement), so their sessions are in Redis for the scan.
            var launch = await SimulatedLaunch.StartAsync(server.Client, platform, [setup.OvmfBytes]);
            if (open.Count < 2)
            {
                var wrong = launch.Measurement.ToArray();
                wrong[0] ^= 1;
                await Assert.ThrowsAsync<RpcException>(() => server.Client.GetLaunchSecretAsync(launch.SecretRequest(measurement: wrong)).ResponseAsync);
                open.Add(launch);
            }
            else
            {
                launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest()));
                launch.Dispose();
            }
        }
        var keybroker = new Protocol.KeyBroker.KeyBrokerService.KeyBrokerServiceClient(server.Channel);
        open.Add(await KeyBrokerLaunch.StartAsync(keybroker, TestPlatforms.Sev, [setup.OvmfBytes]));

        using var inspect = await ConnectionMultiplexer.ConnectAsync(RedisServer.Shared.Address + ",allowAdmin=true");
        var dump = await RedisDump.AllAsync(inspect, prefix);
        Assert.Equal(3, await server.Sessions.CountAsync());
        Assert.True(dump.Count >= 3 * 9, $"expected three sessions' keys and fields in Redis, found {dump.Count} items");
        Assert.Equal(5, recorder.Keys.Count);
        foreach (var sessionKeys in recorder.Keys)
        {
            RedisDump.AssertAbsent(dump, sessionKeys[..16]);
            RedisDump.AssertAbsent(dump, sessionKeys[16..]);
        }
        foreach (var key in new[] { ServerSetup.Key1, setup.Key2 })
        {
            RedisDump.AssertAbsent(dump, Convert.FromBase64String(key));
            RedisDump.AssertAbsent(dump, Encoding.ASCII.GetBytes(key));
        }
        foreach (var launch in open)
            launch.Dispose();
    }

    [RedisFact]
    public async Task Redis_stopped_mid_run_denies_unavailable_reports_not_serving_and_recovers_by_itself()
    {
        using var redis = RedisServer.StartPrivate();
        var setup = RedisSetup(redis, out _);
        await using var server = await ProxyServer.StartAsync(setup);
        var health = new Health.HealthClient(server.Channel);
        using (var first = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [setup.OvmfBytes]))
            first.Inject(await server.Client.GetLaunchSecretAsync(first.SecretRequest()));
        using var stranded = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [setup.OvmfBytes]);

        redis.Kill();
        await Rejected.Assert(() => SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [setup.OvmfBytes]),
            StatusCode.Unavailable, "SESSION_STORE_UNAVAILABLE", "SESSION STORE UNAVAILABLE");
        await Rejected.Assert(() => server.Client.GetLaunchSecretAsync(stranded.SecretRequest()).ResponseAsync,
            StatusCode.Unavailable, "SESSION_STORE_UNAVAILABLE");
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await StatusWithin(health, TimeSpan.FromSeconds(20),
            HealthCheckResponse.Types.ServingStatus.NotServing));
        Assert.Contains(server.AuditLines(), line => line.Contains("\"reason\":\"SESSION_STORE_UNAVAILABLE\"", StringComparison.Ordinal));

        redis.Start();
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusWithin(health, TimeSpan.FromSeconds(30),
            HealthCheckResponse.Types.ServingStatus.Serving));
        using var after = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [setup.OvmfBytes]);
        Assert.Single(after.Inject(await server.Client.GetLaunchSecretAsync(after.SecretRequest())));
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> StatusWithin(Health.HealthClient health, TimeSpan limit,
        HealthCheckResponse.Types.ServingStatus wanted)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var status = (await health.CheckAsync(new HealthCheckRequest { Service = "" })).Status;
            if (status == wanted || DateTime.UtcNow > deadline)
                return status;
            await Task.Delay(200);
        }
    }
}
