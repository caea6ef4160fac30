using System.Collections.Concurrent;
using System.Text;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

public sealed class ConcurrencyAndSecrecyTests
{
    [Fact]
    public async Task Two_hundred_parallel_launches_get_their_own_keys_and_leave_no_session()
    {
        var setup = new ServerSetup();
        setup.KeysetsJson = """
            {
              "KS-A": { "allowed_images": [ { "name": "o", "ovmf": "images/ovmf.fd" } ], "allowed_keys": ["key_id1"],
                        "allowed-policies": [0], "allowed-build-ids": [15, 1600] },
              "KS-B": { "allowed_images": [ { "name": "o", "ovmf": "images/ovmf.fd" } ], "allowed_keys": ["key_id2"],
                        "allowed-policies": [0], "allowed-build-ids": [15, 1600] }
            }
            """;
        await using var server = await ProxyServer.StartAsync(setup);
        var connectionIds = new ConcurrentBag<int>();
        var tasks = Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            var platform = i % 2 == 0 ? TestPlatforms.Sev : TestPlatforms.Csv();
            var keyset = i % 4 < 2 ? "KS-A" : "KS-B";
            using var launch = await SimulatedLaunch.StartAsync(server.Client, platform, [setup.OvmfBytes]);
            connectionIds.Add(launch.ConnectionId);
            var entries = launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest(keyset)));
            var expected = keyset == "KS-A"
                ? $$"""{"key_id1": "{{ServerSetup.Key1}}"}"""
                : $$"""{"key_id2": "{{setup.Key2}}"}""";
            Assert.Equal(expected, Encoding.ASCII.GetString(Assert.Single(entries).Data));
        })).ToList();
        await Task.WhenAll(tasks);

        Assert.Equal(200, connectionIds.Distinct().Count());
        Assert.Equal(0, (await server.Sessions.CountAsync()));
        var audit = server.AuditLines();
        Assert.Equal(400, audit.Count);
        Assert.Equal(200, audit.Count(l => l.Contains("\"decision\":\"released\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Two_concurrent_secret_requests_on_one_connection_id_release_exactly_once()
    {
        await using var server = await ProxyServer.StartAsync();
        for (int round = 0; round < 8; round++)
        {
            using var launch = await SimulatedLaunch.StartAsync(server.Client, round % 2 == 0 ? TestPlatforms.Sev : TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
            var start = new TaskCompletionSource();
            var calls = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
            {
                await start.Task;
                try
                {
                    return (Response: await server.Client.GetLaunchSecretAsync(launch.SecretRequest()), Error: (Grpc.Core.RpcException?)null);
                }
                catch (Grpc.Core.RpcException ex)
                {
                    return (Response: (Protocol.Setup.SecretResponse?)null, Error: ex);
                }
            })).ToList();
            start.SetResult();
            var results = await Task.WhenAll(calls);

            var winner = Assert.Single(results, r => r.Response is not null);
            var loser = Assert.Single(results, r => r.Error is not null);
            Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, loser.Error!.StatusCode);
            Assert.Equal("CONNECTION ID INVALID", loser.Error.Status.Detail);
            Assert.Single(launch.Inject(winner.Response!));
        }
        Assert.Equal(0, (await server.Sessions.CountAsync()));
        var secrets = server.AuditLines().Select(LaunchTests.JsonLinesAuditLogParse).Where(r => r.Event == "secret").ToList();
        Assert.Equal(8, secrets.Count(r => r.Decision == "released"));
        Assert.Equal(8, secrets.Count(r => r.Reason == "CONNECTION_ID_INVALID"));
    }

    [Fact]
    public async Task Logs_log_file_and_audit_never_contain_tek_tik_or_key_bytes_on_either_protocol()
    {
        var recorder = new KeyRecorder();
        var setup = new ServerSetup();
        var logFile = Path.Combine(Path.GetTempPath(), $"gop-secrecy-{Guid.NewGuid():n}.jsonl");
        setup.Settings["GuestOwnerProxy:Debug"] = "true";
        setup.Settings["GuestOwnerProxy:LogFile"] = logFile;
        setup.Services = services =>
        {
            services.AddSingleton(recorder);
            services.AddSingleton<ISessionStore>(sp => new RecordingStore(sp.GetRequiredService<InMemorySessionStore>(), recorder));
        };
        var server = await ProxyServer.StartAsync(setup);
        string haystack;
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var platform = i == 0 ? TestPlatforms.Csv() : TestPlatforms.Sev;
                using var launch = await SimulatedLaunch.StartAsync(server.Client, platform, [setup.OvmfBytes]);
                if (i == 2)
                {
                    var wrong = launch.Measurement.ToArray();
                    wrong[1] ^= 1;
                    await Assert.ThrowsAsync<Grpc.Core.RpcException>(() =>
                        server.Client.GetLaunchSecretAsync(launch.SecretRequest(measurement: wrong)).ResponseAsync);
                }
                await server.Client.GetLaunchSecretAsync(launch.SecretRequest());
            }

            // The keybroker path: the bundle, a single binary key, a refused request, on both platforms.
            var keybroker = new Protocol.KeyBroker.KeyBrokerService.KeyBrokerServiceClient(server.Channel);
            foreach (var platform in new[] { TestPlatforms.Csv(), TestPlatforms.Sev })
            {
                using var launch = await KeyBroker.KeyBrokerLaunch.StartAsync(keybroker, platform, [setup.OvmfBytes]);
                var wrong = launch.KataRequest();
                wrong.FwDigest = Convert.ToBase64String(new byte[32]);
                await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => keybroker.GetSecretAsync(wrong).ResponseAsync);
                var request = launch.KataRequest();
                request.SecretRequests.Add(new Protocol.KeyBroker.RequestDetails
                {
                    Guid = Guid.NewGuid().ToString(), Format = "binary", SecretType = "key", Id = "key_id2",
                });
                Assert.Equal(2, launch.Inject(await keybroker.GetSecretAsync(request)).Count);
            }
            haystack = string.Join("\n", server.Logs.RenderedLines()) + "\n" + string.Join("\n", server.AuditLines());
        }
        finally
        {
            await server.DisposeAsync();
        }

        // The -l sink (compact JSON), read after the server flushed and closed it.
        var fileLog = File.ReadAllText(logFile);
        File.Delete(logFile);
        Assert.Contains("Secret released", fileLog);
        Assert.Contains("keybroker", fileLog);
        haystack += "\n" + fileLog;

        var forbidden = new List<string> { ServerSetup.Key1, setup.Key2 };
        foreach (var key in new[] { ServerSetup.Key1, setup.Key2 })
            forbidden.AddRange(Spellings(Convert.FromBase64String(key)));
        Assert.Equal(5, recorder.Keys.Count);
        foreach (var sessionKey in recorder.Keys)
            forbidden.AddRange(Spellings(sessionKey));

        Assert.True(server.Logs.Events.Count > 10, "expected a real log to search");
        foreach (var needle in forbidden)
            Assert.DoesNotContain(needle, haystack, StringComparison.OrdinalIgnoreCase);
    }

    internal static IEnumerable<string> Spellings(byte[] bytes)
    {
        yield return Convert.ToHexString(bytes);
        yield return Convert.ToBase64String(bytes).TrimEnd('=');
        // Also any 12-byte window, so a partial dump is caught too.
        for (int i = 0; i + 12 <= bytes.Length; i += 4)
            yield return Convert.ToHexString(bytes, i, 12);
    }

    public sealed class KeyRecorder
    {
        public ConcurrentBag<byte[]> Keys { get; } = [];
    }

    /// <summary>Copies TEK ‖ TIK of every session for the test's search (the server never exposes them).</summary>
    internal sealed class RecordingStore(ISessionStore inner, KeyRecorder recorder) : ISessionStore
    {
        public ValueTask<LiveSession> AddAsync(LaunchSession launch, PlatformIdentity identity, string peer, string client)
        {
            recorder.Keys.Add([.. launch.Tek.ToArray(), .. launch.Tik.ToArray()]);
            return inner.AddAsync(launch, identity, peer, client);
        }

        public ValueTask<ISessionLease?> TryAcquireAsync(SessionHandle handle) => inner.TryAcquireAsync(handle);

        public ValueTask<int> CountAsync() => inner.CountAsync();

        public ValueTask<string?> ProblemAsync() => inner.ProblemAsync();
    }
}
