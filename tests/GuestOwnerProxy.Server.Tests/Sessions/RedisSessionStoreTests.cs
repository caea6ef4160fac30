using System.Diagnostics;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Sessions.Redis;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace GuestOwnerProxy.Server.Tests.Sessions;

/// <summary>
/// The Redis session store against a real redis-server: two store instances with their own connections stand for two
/// replicas. Each test writes under its own key prefix, so tests share one Redis without seeing each other.
/// </summary>
public sealed class RedisSessionStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _prefix = $"t{Guid.NewGuid():N}:";
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var owned in _owned)
            owned.Dispose();
        _dir.Dispose();
    }

    private static readonly PlatformIdentity Identity = new(PlatformKind.Csv, "chip-1", "root-1", true, "trust-1",
        new PlatformEvidence(Enumerable.Repeat((byte)0x11, 2084).ToArray(), Enumerable.Repeat((byte)0x22, 2916).ToArray()));

    private static LaunchSession NewLaunch(byte fill) =>
        new(PlatformKind.Csv, new byte[2084], new byte[772], 0x4, Enumerable.Repeat(fill, 16).ToArray(), Enumerable.Repeat((byte)(fill ^ 0xff), 16).ToArray());

    private string NewKey(string name)
    {
        var path = _dir.File(name);
        SealingKey.Create(path);
        return path;
    }

    private RedisSessionStore Store(string[] keyFiles, RedisServer? redis = null, Action<SessionLimitOptions>? tweak = null)
    {
        var options = new SessionLimitOptions
        {
            Store = SessionStoreKind.Redis,
            Redis = new RedisSessionOptions
            {
                Configuration = (redis ?? RedisServer.Shared).Address, KeyPrefix = _prefix, SealingKeyFiles = [.. keyFiles],
                // Generous for the shared server (a loaded CI machine); the fault tests' own servers are given less.
                Timeout = redis is null ? TimeSpan.FromSeconds(5) : TimeSpan.FromMilliseconds(1000),
            },
        };
        tweak?.Invoke(options);
        var store = new RedisSessionStore(options, RedisConnection.Open(options.Redis), ownsConnection: true,
            SealingKeyRing.Load(keyFiles), TimeProvider.System, NullLogger<RedisSessionStore>.Instance);
        _owned.Add(store);
        return store;
    }

    /// <summary>A key's name in Redis: every key of a deployment carries its prefix as a hash tag.</summary>
    private string Key(string suffix) => "{" + _prefix + "}" + suffix;

    private ConnectionMultiplexer Inspect(RedisServer? redis = null)
    {
        var connection = ConnectionMultiplexer.Connect((redis ?? RedisServer.Shared).Address + ",allowAdmin=true");
        _owned.Add(connection);
        return connection;
    }

    [RedisFact]
    public async Task A_session_added_by_one_replica_is_taken_by_another_by_either_name_and_only_once()
    {
        var key = NewKey("k1");
        var a = Store([key]);
        var b = Store([key]);
        var launch = NewLaunch(0x5a);
        var added = await a.AddAsync(launch, Identity, "ipv4:127.0.0.1:1", "client-1");
        Assert.All(launch.Tek.ToArray(), x => Assert.Equal(0, x)); // the store's own copy is zeroed once sealed
        Assert.Equal(1, await b.CountAsync());

        await using (var lease = (await b.TryAcquireAsync(SessionHandle.ForLaunch(added.LaunchId)))!)
        {
            var session = lease.Session;
            Assert.Equal(added.ConnectionId, session.ConnectionId);
            Assert.Equal(Enumerable.Repeat((byte)0x5a, 16), session.Launch.Tek.ToArray());
            Assert.Equal(Enumerable.Repeat((byte)0xa5, 16), session.Launch.Tik.ToArray());
            Assert.Equal(0x4u, session.Launch.Policy);
            Assert.Equal(Identity.ChipId, session.Identity.ChipId);
            Assert.Equal(Identity.RootName, session.Identity.RootName);
            Assert.Equal(Identity.TrustVersion, session.Identity.TrustVersion);
            Assert.Equal(Identity.Evidence.CertificateChain, session.Identity.Evidence.CertificateChain);
            Assert.Equal(("ipv4:127.0.0.1:1", "client-1"), (session.Peer, session.Client));
            // Checked out: neither replica can take it meanwhile.
            Assert.Null(await a.TryAcquireAsync(SessionHandle.ForConnection(added.ConnectionId)));
            await lease.CompleteAsync();
        }
        Assert.Null(await a.TryAcquireAsync(SessionHandle.ForConnection(added.ConnectionId)));
        Assert.Null(await b.TryAcquireAsync(SessionHandle.ForLaunch(added.LaunchId)));
        Assert.Equal(0, await b.CountAsync()); // b released it: b's next command sees the release done
    }

    [RedisFact]
    public async Task Replicas_racing_on_one_session_take_it_exactly_once()
    {
        var key = NewKey("k1");
        var replicas = new[] { Store([key]), Store([key]) };
        for (int round = 0; round < 20; round++)
        {
            var added = await replicas[0].AddAsync(NewLaunch((byte)round), Identity, "p", "c");
            var start = new TaskCompletionSource();
            var takers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                await start.Task;
                var handle = i % 2 == 0 ? SessionHandle.ForConnection(added.ConnectionId) : SessionHandle.ForLaunch(added.LaunchId);
                var lease = await replicas[i % 2].TryAcquireAsync(handle);
                if (lease is null)
                    return false;
                await lease.CompleteAsync();
                await lease.DisposeAsync();
                return true;
            })).ToList();
            start.SetResult();
            Assert.Equal(1, (await Task.WhenAll(takers)).Count(taken => taken));
        }
    }

    [RedisFact]
    public async Task Failed_attempts_are_counted_across_replicas_and_close_the_session_at_the_limit()
    {
        var key = NewKey("k1");
        var a = Store([key]);
        var b = Store([key]);
        var added = await a.AddAsync(NewLaunch(1), Identity, "p", "c");
        var handle = SessionHandle.ForConnection(added.ConnectionId);
        foreach (var (replica, last) in new[] { (a, false), (b, false), (a, true) })
        {
            await using var lease = (await replica.TryAcquireAsync(handle))!;
            Assert.Equal(last, await lease.RecordFailedAttemptAsync());
        }
        Assert.Null(await b.TryAcquireAsync(handle));
        Assert.Equal(0, await a.CountAsync()); // a ended it
    }

    [RedisFact]
    public async Task A_lease_ended_without_an_outcome_puts_the_session_back_unchanged()
    {
        var key = NewKey("k1");
        var a = Store([key], tweak: o =>
        {
            o.Ttl = TimeSpan.FromSeconds(30);
            o.IdleTtl = TimeSpan.FromSeconds(10);
        });
        var added = await a.AddAsync(NewLaunch(1), Identity, "p", "c");
        var handle = SessionHandle.ForConnection(added.ConnectionId);
        var redis = Inspect().GetDatabase();
        Assert.True((await redis.KeyTimeToLiveAsync(Key("session:" + added.ConnectionId)))!.Value <= TimeSpan.FromSeconds(10)); // idle TTL
        await using (var lease = (await a.TryAcquireAsync(handle))!)
            Assert.False(await lease.RecordFailedAttemptAsync());
        // A measurement was checked: the rest of the whole-session TTL now, in Redis and in the bounds.
        Assert.True((await redis.KeyTimeToLiveAsync(Key("session:" + added.ConnectionId)))!.Value > TimeSpan.FromSeconds(20));
        Assert.True((await redis.SortedSetScoreAsync(Key("live"), added.ConnectionId.ToString()))!.Value
            > DateTimeOffset.UtcNow.AddSeconds(20).ToUnixTimeMilliseconds());
        await using (var lease = (await a.TryAcquireAsync(handle))!) { }
        await using (var lease = (await a.TryAcquireAsync(handle))!)
        {
            Assert.Equal(1, lease.Session.FailedAttempts);
            Assert.True(lease.Session.SecretRequested);
            Assert.Equal(Enumerable.Repeat((byte)1, 16), lease.Session.Launch.Tek.ToArray());
        }
    }

    [RedisFact]
    public async Task Capacity_and_per_client_quotas_hold_across_replicas()
    {
        var key = NewKey("k1");
        void Limits(SessionLimitOptions o)
        {
            o.MaxSessions = 3;
            o.MaxPerClient = 2;
        }
        var a = Store([key], tweak: Limits);
        var b = Store([key], tweak: Limits);
        var first = await a.AddAsync(NewLaunch(1), Identity, "p", "client-x");
        await b.AddAsync(NewLaunch(2), Identity, "p", "client-x");
        var perClient = await Assert.ThrowsAsync<SessionStoreFullException>(() => a.AddAsync(NewLaunch(3), Identity, "p", "client-x").AsTask());
        Assert.Equal(SessionLimit.PerClient, perClient.Limit);
        await b.AddAsync(NewLaunch(4), Identity, "p", "client-y");
        var full = await Assert.ThrowsAsync<SessionStoreFullException>(() => b.AddAsync(NewLaunch(5), Identity, "p", "client-z").AsTask());
        Assert.Equal(SessionLimit.Sessions, full.Limit);

        // A released session frees its place on every replica. The release is sent without waiting for its answer;
        // Redis runs one connection's commands in order, so once b's next command answers, it is done.
        await using (var lease = (await b.TryAcquireAsync(SessionHandle.ForConnection(first.ConnectionId)))!)
            await lease.CompleteAsync();
        Assert.Equal(2, await b.CountAsync());
        await a.AddAsync(NewLaunch(6), Identity, "p", "client-x");
        Assert.Equal(3, await b.CountAsync());
    }

    [RedisFact]
    public async Task Sessions_never_measured_expire_after_the_idle_ttl_in_redis()
    {
        var key = NewKey("k1");
        var a = Store([key], tweak: o =>
        {
            o.Ttl = TimeSpan.FromSeconds(30);
            o.IdleTtl = TimeSpan.FromMilliseconds(600);
        });
        var added = await a.AddAsync(NewLaunch(1), Identity, "p", "c");
        var redis = Inspect().GetDatabase();
        var ttl = await redis.KeyTimeToLiveAsync(Key("session:" + added.ConnectionId));
        Assert.InRange(ttl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(600));
        await Task.Delay(900);
        Assert.Null(await a.TryAcquireAsync(SessionHandle.ForConnection(added.ConnectionId)));
        Assert.Equal(0, await a.CountAsync());
    }

    [RedisFact]
    public async Task A_rotated_key_ring_opens_old_sessions_and_a_removed_key_is_a_loud_denial()
    {
        var oldKey = NewKey("old");
        var newKey = NewKey("new");
        var before = Store([oldKey]);
        var during = Store([newKey, oldKey]);
        var after = Store([newKey]);

        var sealedOld = await before.AddAsync(NewLaunch(1), Identity, "p", "c");
        await using (var lease = (await during.TryAcquireAsync(SessionHandle.ForConnection(sealedOld.ConnectionId)))!)
            Assert.Equal(Enumerable.Repeat((byte)1, 16), lease.Session.Launch.Tek.ToArray());
        var sealedNew = await during.AddAsync(NewLaunch(2), Identity, "p", "c");
        await using (var lease = (await after.TryAcquireAsync(SessionHandle.ForConnection(sealedNew.ConnectionId)))!)
            await lease.CompleteAsync();

        // Only the old key sealed this one: the server with the new key alone cannot open it and says so, retryably, and
        // leaves it for a replica that can (a rotation half done) with its TTL unchanged.
        var redis = Inspect().GetDatabase();
        var ttlBefore = await redis.KeyTimeToLiveAsync(Key("session:" + sealedOld.ConnectionId));
        var refused = await Assert.ThrowsAsync<SessionSealedWithUnknownKeyException>(() => after.TryAcquireAsync(SessionHandle.ForConnection(sealedOld.ConnectionId)).AsTask());
        Assert.Equal("SESSION_SEALING_KEY_UNKNOWN", refused.Reason.Code);
        Assert.Equal(Policy.DenialStatus.Unavailable, refused.Reason.Status);
        var ttlAfter = await redis.KeyTimeToLiveAsync(Key("session:" + sealedOld.ConnectionId));
        Assert.InRange(ttlAfter!.Value, ttlBefore!.Value - TimeSpan.FromSeconds(5), ttlBefore.Value);
        await using (var lease = (await during.TryAcquireAsync(SessionHandle.ForConnection(sealedOld.ConnectionId)))!)
            await lease.CompleteAsync();
    }

    [RedisFact]
    public async Task An_altered_value_or_one_moved_under_another_session_does_not_unseal()
    {
        var key = NewKey("k1");
        var a = Store([key]);
        var first = await a.AddAsync(NewLaunch(1), Identity, "p", "c");
        var second = await a.AddAsync(NewLaunch(2), Identity, "p", "c");
        var redis = Inspect().GetDatabase();
        RedisKey firstKey = Key("session:" + first.ConnectionId), secondKey = Key("session:" + second.ConnectionId);

        // The second session's value under the first one's name: the seal binds the connection id and launch id.
        await redis.HashSetAsync(firstKey, "v", await redis.HashGetAsync(secondKey, "v"));
        var moved = await Assert.ThrowsAsync<SessionUnreadableException>(() => a.TryAcquireAsync(SessionHandle.ForConnection(first.ConnectionId)).AsTask());
        Assert.Contains("Corrupt", moved.Message);

        byte[] value = (await redis.HashGetAsync(secondKey, "v"))!;
        value[value.Length / 2] ^= 0x01;
        await redis.HashSetAsync(secondKey, "v", value);
        await Assert.ThrowsAsync<SessionUnreadableException>(() => a.TryAcquireAsync(SessionHandle.ForConnection(second.ConnectionId)).AsTask());
    }

    [RedisFact]
    public async Task No_key_or_value_in_redis_holds_the_tek_or_tik_in_any_spelling()
    {
        var key = NewKey("k1");
        var a = Store([key]);
        var secrets = new List<byte[]>();
        for (int i = 0; i < 6; i++)
        {
            var launch = new LaunchSession(PlatformKind.Sev, new byte[2084], new byte[128], 0,
                System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            secrets.Add([.. launch.Tek.ToArray(), .. launch.Tik.ToArray()]);
            var added = await a.AddAsync(launch, Identity, "p", "c");
            if (i % 2 == 0)
            {
                await using var lease = (await a.TryAcquireAsync(SessionHandle.ForConnection(added.ConnectionId)))!;
                await lease.RecordFailedAttemptAsync();
            }
        }
        var dump = await RedisDump.AllAsync(Inspect(), _prefix);
        Assert.True(dump.Count >= 12, $"expected the sessions' keys in Redis, found {dump.Count}");
        foreach (var secret in secrets)
        {
            RedisDump.AssertAbsent(dump, secret[..16]);
            RedisDump.AssertAbsent(dump, secret[16..]);
        }
    }

    [RedisFact]
    public async Task Redis_down_is_unavailable_within_the_timeout_and_service_resumes_when_it_returns()
    {
        using var redis = RedisServer.StartPrivate();
        var key = NewKey("k1");
        var a = Store([key], redis);
        var kept = await a.AddAsync(NewLaunch(1), Identity, "p", "c");
        Assert.Null(await a.ProblemAsync());

        redis.Kill();
        var clock = Stopwatch.StartNew();
        var down = await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => a.AddAsync(NewLaunch(2), Identity, "p", "c").AsTask());
        Assert.Equal("SESSION_STORE_UNAVAILABLE", down.Reason.Code);
        await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => a.TryAcquireAsync(SessionHandle.ForConnection(kept.ConnectionId)).AsTask());
        Assert.NotNull(await a.ProblemAsync());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"denials took {clock.Elapsed}"); // bounded, not a hang

        redis.Start(); // same port, empty (no persistence): the kept session is gone, new ones work
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await a.ProblemAsync() is not null && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Null(await a.ProblemAsync());
        var again = await a.AddAsync(NewLaunch(3), Identity, "p", "c");
        Assert.NotNull(await a.TryAcquireAsync(SessionHandle.ForConnection(again.ConnectionId)));
    }

    [RedisFact]
    public async Task With_wait_for_replicas_a_take_no_replica_acknowledged_is_unavailable()
    {
        using var primary = RedisServer.StartPrivate();
        using var replica = RedisServer.StartPrivate("--replicaof", "127.0.0.1", primary.Port.ToString());
        var key = NewKey("k1");
        var a = Store([key], primary, o => o.Redis.WaitForReplicas = 1);
        var inspect = Inspect(primary).GetDatabase();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((long)await inspect.ExecuteAsync("WAIT", 1, 100) < 1 && DateTime.UtcNow < deadline) { }

        var first = await a.AddAsync(NewLaunch(1), Identity, "p", "c");
        await using (var lease = (await a.TryAcquireAsync(SessionHandle.ForConnection(first.ConnectionId)))!)
            await lease.CompleteAsync();

        replica.Kill(); // the take can no longer reach a replica: a failover now could resurrect the session
        var second = await a.AddAsync(NewLaunch(2), Identity, "p", "c");
        var refused = await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => a.TryAcquireAsync(SessionHandle.ForConnection(second.ConnectionId)).AsTask());
        Assert.Contains("replicas acknowledged", refused.Message);
    }

    [RedisFact]
    public async Task A_hung_redis_is_unavailable_after_the_configured_timeout()
    {
        using var redis = RedisServer.StartPrivate();
        var key = NewKey("k1");
        var a = Store([key], redis);
        await a.AddAsync(NewLaunch(1), Identity, "p", "c");
        redis.Pause();
        try
        {
            var clock = Stopwatch.StartNew();
            await Assert.ThrowsAsync<SessionStoreUnavailableException>(() => a.AddAsync(NewLaunch(2), Identity, "p", "c").AsTask());
            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(8));
        }
        finally
        {
            redis.Resume();
        }
    }
}

/// <summary>Every key and value under a prefix, as bytes, for the secrecy checks.</summary>
internal static class RedisDump
{
    public static async Task<List<byte[]>> AllAsync(ConnectionMultiplexer connection, string prefix)
    {
        var items = new List<byte[]>();
        var db = connection.GetDatabase();
        foreach (var endpoint in connection.GetEndPoints())
        {
            await foreach (var key in connection.GetServer(endpoint).KeysAsync(pattern: "{" + prefix + "}*"))
            {
                items.Add((byte[])key!);
                switch (await db.KeyTypeAsync(key))
                {
                    case RedisType.Hash:
                        foreach (var field in await db.HashGetAllAsync(key))
                        {
                            items.Add((byte[])field.Name!);
                            items.Add((byte[])field.Value!);
                        }
                        break;
                    case RedisType.String:
                        items.Add((byte[])(await db.StringGetAsync(key))!);
                        break;
                    case RedisType.SortedSet:
                        foreach (var member in await db.SortedSetRangeByRankAsync(key))
                            items.Add((byte[])member!);
                        break;
                }
            }
        }
        return items;
    }

    /// <summary>Neither the raw bytes nor their hex or base64 spelling (nor a 12-byte window of them) in any item.</summary>
    public static void AssertAbsent(List<byte[]> items, byte[] secret)
    {
        var spellings = new List<byte[]> { secret };
        foreach (var text in EndToEnd.ConcurrencyAndSecrecyTests.Spellings(secret).Append(Convert.ToHexStringLower(secret)))
            spellings.Add(System.Text.Encoding.ASCII.GetBytes(text));
        // Base64 at every alignment: the secret after 1 or 2 other bytes encodes to different text; the middle of that
        // text (away from the neighbouring bytes) is in any base64 of data holding the secret at that alignment.
        for (int shift = 1; shift <= 2; shift++)
        {
            var text = Convert.ToBase64String([.. new byte[shift], .. secret]);
            spellings.Add(System.Text.Encoding.ASCII.GetBytes(text[4..^4]));
        }
        for (int i = 0; i + 12 <= secret.Length; i += 4)
            spellings.Add(secret[i..(i + 12)]);
        foreach (var item in items)
        {
            foreach (var spelling in spellings)
                Assert.True(item.AsSpan().IndexOf(spelling) < 0, "a secret's bytes were found in Redis");
            // Hex is case-insensitive: look in an upper-cased copy too.
            var upper = System.Text.Encoding.ASCII.GetBytes(System.Text.Encoding.ASCII.GetString(item).ToUpperInvariant());
            Assert.True(upper.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(Convert.ToHexString(secret))) < 0, "a secret's hex was found in Redis");
        }
    }
}
