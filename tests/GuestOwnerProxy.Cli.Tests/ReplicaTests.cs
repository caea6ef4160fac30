using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Server.Tests.Infrastructure;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// Two real <c>gop serve</c> processes sharing one real Redis (<c>Sessions:Store = redis</c>), driven by the kata client
/// (<c>gop client</c>) and the simulated firmware: a launch begun on one replica ends on the other, survives a kill -9 or a
/// restart of the replica that began it, is released once when raced on both, waits out a Redis outage with a clear
/// UNAVAILABLE, and survives a sealing-key rotation.
/// </summary>
public sealed class ReplicaTests : IDisposable
{
    private const string KeysetId = "KEYSET-1";
    private const string KeyValue = "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=";
    private readonly TempDir _dir = new();
    private readonly List<GopServer> _servers = [];
    private readonly ISoftwarePlatform _sev = SoftwarePlatform.Create(PlatformKind.Sev, new SoftwarePlatformOptions { Seed = SoftwarePlatformSeeds.DevelopmentSeed });
    private readonly ISoftwarePlatform _csv = SoftwarePlatform.Create(PlatformKind.Csv, new SoftwarePlatformOptions { Seed = SoftwarePlatformSeeds.DevelopmentSeed });
    private readonly string _prefix = $"replica{Guid.NewGuid():N}:";

    public void Dispose()
    {
        foreach (var server in _servers)
            server.Dispose();
        _dir.Dispose();
    }

    private string Host(PlatformKind kind) => System.IO.Path.Combine(_dir.Path, kind == PlatformKind.Csv ? "csv" : "sev");

    private ISoftwarePlatform Platform(PlatformKind kind) => kind == PlatformKind.Csv ? _csv : _sev;

    /// <summary>A sealing key made by the command operators use.</summary>
    private string SealingKey(string name)
    {
        var path = _dir.File(name);
        var made = Gop.Run("sealing-key", "new", path);
        Assert.True(made.ExitCode == 0, made.ToString());
        return path;
    }

    /// <summary>One replica: the same keysets, keys and trust as every other, its own audit log.</summary>
    private GopServer Replica(RedisServer redis, params string[] sealingKeys)
    {
        if (!Directory.Exists(Host(PlatformKind.Csv)))
        {
            _csv.WriteTrustFiles(Host(PlatformKind.Csv));
            _sev.WriteTrustFiles(Host(PlatformKind.Sev));
            _dir.Write("keysets.json", $$"""
                {
                  "{{KeysetId}}": {
                    "allowed_images": [{"name": "amdsev", "ovmf": "{{DemoImage.Ovmf}}"}],
                    "allowed_keys": ["key_id1"],
                    "allowed-policies": [0],
                    "allowed-build-ids": [{{_csv.Version.BuildId}}, {{_sev.Version.BuildId}}]
                  }
                }
                """);
            var keys = _dir.Write("keys.json", $$"""{ "key_id1": "{{KeyValue}}" }""");
            File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        string P(PlatformKind k, string f) => System.IO.Path.Combine(Host(k), f);
        var args = new List<string>
        {
            "-c", _dir.File("keysets.json"), "-k", _dir.File("keys.json"), "--environment", "Production",
            "--GuestOwnerProxy:ListenAddress=127.0.0.1",
            $"--GuestOwnerProxy:AuditLog={_dir.File($"audit-{_servers.Count}.jsonl")}",
            "--GuestOwnerProxy:ReloadInterval=00:00:00",
            $"--GuestOwnerProxy:Trust:RootFiles:0={P(PlatformKind.Csv, "hrk.cert")}",
            $"--GuestOwnerProxy:Trust:RootFiles:1={P(PlatformKind.Sev, "ark.cert")}",
            $"--GuestOwnerProxy:Trust:ExtraRootFingerprints:0={_csv.RootFingerprint}",
            $"--GuestOwnerProxy:Trust:ExtraRootFingerprints:1={_sev.RootFingerprint}",
            $"--GuestOwnerProxy:Trust:IntermediateFiles:0={P(PlatformKind.Csv, "hsk_cek.cert")}",
            $"--GuestOwnerProxy:Trust:IntermediateFiles:1={P(PlatformKind.Sev, "ask.cert")}",
            "--GuestOwnerProxy:Sessions:Store=redis",
            $"--GuestOwnerProxy:Sessions:Redis:Configuration={redis.Address}",
            $"--GuestOwnerProxy:Sessions:Redis:KeyPrefix={_prefix}",
            "--GuestOwnerProxy:Sessions:Redis:Timeout=00:00:03",
        };
        for (int i = 0; i < sealingKeys.Length; i++)
            args.Add($"--GuestOwnerProxy:Sessions:Redis:SealingKeyFiles:{i}={sealingKeys[i]}");
        var server = GopServer.Start(_dir.Path, [.. args]);
        _servers.Add(server);
        return server;
    }

    /// <summary>kata's first call, through the client script's interface: the connection id and the firmware launched with the bundle.</summary>
    private (string ConnectionId, ISoftwareLaunch Launch, string VmDir) Bundle(GopServer server, PlatformKind kind)
    {
        var vmdir = _dir.File($"vm-{Guid.NewGuid():N}");
        var bundle = Gop.Run("client", "GetBundle", "-k", System.IO.Path.Combine(Host(kind), "pdh.cert"),
            "-t", System.IO.Path.Combine(Host(kind), "cert_chain.cert"), server.Address, vmdir);
        Assert.True(bundle.ExitCode == 0, bundle + "\n" + server.Log);
        var connectionId = bundle.Stdout.TrimEnd('\n').Split(',')[2];
        var godh = Convert.FromBase64String(File.ReadAllText($"{vmdir}/godh.txt"));
        var blob = Convert.FromBase64String(File.ReadAllText($"{vmdir}/launch_blob.txt"));
        var launch = Platform(kind).LaunchStart(godh, blob, 0);
        launch.UpdateData(File.ReadAllBytes(DemoImage.Ovmf));
        return (connectionId, launch, vmdir);
    }

    private GopResult Secret(GopServer server, PlatformKind kind, string connectionId, byte[] measurement, string vmdir)
    {
        var version = Platform(kind).Version;
        return Gop.Run("client", "GetSecret", "-c", connectionId, "-i", KeysetId, "-m", Convert.ToBase64String(measurement),
            "--api-major", version.ApiMajor.ToString(), "--api-minor", version.ApiMinor.ToString(), "--build", version.BuildId.ToString(),
            server.Address, vmdir);
    }

    private static void AssertGuestGotTheKey(ISoftwareLaunch launch, GopResult secret)
    {
        var parts = secret.Stdout.TrimEnd('\n').Split(',');
        var entry = Assert.Single(launch.InjectSecret(Convert.FromBase64String(parts[0]), Convert.FromBase64String(parts[1])));
        Assert.Contains(KeyValue, Encoding.UTF8.GetString(entry.Data));
    }

    [RedisFact]
    public void A_launch_begun_on_one_replica_ends_on_the_other_even_after_kill_9_of_the_first()
    {
        var key = SealingKey("k1");
        var a = Replica(RedisServer.Shared, key);
        var b = Replica(RedisServer.Shared, key);
        foreach (var kind in new[] { PlatformKind.Csv, PlatformKind.Sev })
        {
            var (id, launch, vmdir) = Bundle(a, kind);
            using (launch)
            {
                var secret = Secret(b, kind, id, launch.Measure(), vmdir);
                Assert.True(secret.ExitCode == 0, secret + "\n" + b.Log);
                AssertGuestGotTheKey(launch, secret);
            }
        }

        var (strandedId, stranded, strandedDir) = Bundle(a, PlatformKind.Sev);
        using (stranded)
        {
            a.Dispose(); // SIGKILL: no shutdown code runs
            var secret = Secret(b, PlatformKind.Sev, strandedId, stranded.Measure(), strandedDir);
            Assert.True(secret.ExitCode == 0, secret + "\n" + b.Log);
            AssertGuestGotTheKey(stranded, secret);
        }

        // simulate, the whole launch in one command, works against the surviving replica too.
        var simulate = Gop.Run("simulate", "--server", b.Address, "--platform", "csv", "--ovmf", DemoImage.Ovmf);
        Assert.True(simulate.ExitCode == 0, simulate + "\n" + b.Log);
    }

    [RedisFact]
    public void A_replica_restarted_between_bundle_and_secret_keeps_the_launch()
    {
        var key = SealingKey("k1");
        var first = Replica(RedisServer.Shared, key);
        var (id, launch, vmdir) = Bundle(first, PlatformKind.Csv);
        using (launch)
        {
            first.Dispose();
            var restarted = Replica(RedisServer.Shared, key);
            var secret = Secret(restarted, PlatformKind.Csv, id, launch.Measure(), vmdir);
            Assert.True(secret.ExitCode == 0, secret + "\n" + restarted.Log);
            AssertGuestGotTheKey(launch, secret);
        }
    }

    [RedisFact]
    public async Task The_same_connection_id_raced_on_both_replicas_is_released_exactly_once()
    {
        var key = SealingKey("k1");
        var a = Replica(RedisServer.Shared, key);
        var b = Replica(RedisServer.Shared, key);
        for (int round = 0; round < 3; round++)
        {
            var kind = round % 2 == 0 ? PlatformKind.Sev : PlatformKind.Csv;
            var (id, launch, vmdir) = Bundle(a, kind);
            using (launch)
            {
                var measurement = launch.Measure();
                var results = await Task.WhenAll(
                    Task.Run(() => Secret(a, kind, id, measurement, vmdir + "-a")),
                    Task.Run(() => Secret(b, kind, id, measurement, vmdir + "-b")));
                Assert.Equal(1, results.Count(r => r.ExitCode == 0));
                var loser = Assert.Single(results, r => r.ExitCode != 0);
                Assert.Equal(1, loser.ExitCode);
                Assert.StartsWith("GRPC Error: CONNECTION ID INVALID", loser.Stderr);
            }
        }
    }

    [RedisFact]
    public void Redis_stopped_mid_run_is_a_clear_unavailable_and_service_resumes_when_it_returns()
    {
        using var redis = RedisServer.StartPrivate();
        var key = SealingKey("k1");
        var a = Replica(redis, key);
        var (id, launch, vmdir) = Bundle(a, PlatformKind.Sev);
        launch.Dispose();

        redis.Kill();
        var vm = _dir.File("vm-down");
        var down = Gop.Run("client", "GetBundle", "-k", System.IO.Path.Combine(Host(PlatformKind.Sev), "pdh.cert"),
            "-t", System.IO.Path.Combine(Host(PlatformKind.Sev), "cert_chain.cert"), a.Address, vm);
        Assert.Equal(1, down.ExitCode);
        Assert.Equal("GRPC Error: SESSION STORE UNAVAILABLE: the session store cannot be reached; retry later\n", down.Stderr);
        Assert.Contains("Redis connection to", a.Log);

        redis.Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        GopResult simulate;
        do
        {
            simulate = Gop.Run("simulate", "--server", a.Address, "--platform", "sev", "--ovmf", DemoImage.Ovmf);
        }
        while (simulate.ExitCode != 0 && DateTime.UtcNow < deadline);
        Assert.True(simulate.ExitCode == 0, simulate + "\n" + a.Log);
    }

    [RedisFact]
    public void A_sealing_key_rotation_keeps_the_live_sessions()
    {
        var oldKey = SealingKey("old");
        var newKey = SealingKey("new");
        var before = Replica(RedisServer.Shared, oldKey);
        var (oldId, oldLaunch, oldDir) = Bundle(before, PlatformKind.Csv);
        before.Dispose();

        // Step 1: the new key first, the old one still listed: the old session opens, new ones are sealed with the new key.
        var during = Replica(RedisServer.Shared, newKey, oldKey);
        var (newId, newLaunch, newDir) = Bundle(during, PlatformKind.Sev);
        using (oldLaunch)
        {
            var secret = Secret(during, PlatformKind.Csv, oldId, oldLaunch.Measure(), oldDir);
            Assert.True(secret.ExitCode == 0, secret + "\n" + during.Log);
            AssertGuestGotTheKey(oldLaunch, secret);
        }
        during.Dispose();

        // Step 2: the old key removed: sessions sealed with the new key still open.
        var after = Replica(RedisServer.Shared, newKey);
        using (newLaunch)
        {
            var secret = Secret(after, PlatformKind.Sev, newId, newLaunch.Measure(), newDir);
            Assert.True(secret.ExitCode == 0, secret + "\n" + after.Log);
            AssertGuestGotTheKey(newLaunch, secret);
        }

        // A session sealed with a key this replica lacks (a rotation done out of order) is a retryable refusal, logged, and
        // stays for a replica that has the key.
        var straggler = Replica(RedisServer.Shared, oldKey);
        var (strayId, stray, strayDir) = Bundle(straggler, PlatformKind.Sev);
        using (stray)
        {
            var measurement = stray.Measure();
            var refused = Secret(after, PlatformKind.Sev, strayId, measurement, strayDir);
            Assert.Equal(1, refused.ExitCode);
            Assert.StartsWith("GRPC Error: SESSION STORE UNAVAILABLE: the session is sealed with a key this replica does not have", refused.Stderr);
            Assert.Contains("which this server does not have", after.Log);
            var retried = Secret(straggler, PlatformKind.Sev, strayId, measurement, strayDir);
            Assert.True(retried.ExitCode == 0, retried + "\n" + straggler.Log);
            AssertGuestGotTheKey(stray, retried);
        }
    }
}
