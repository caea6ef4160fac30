using Microsoft.Extensions.Time.Testing;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestOwnerProxy.Server.Tests.Sessions;

public sealed class InMemorySessionStoreTests
{
    private static readonly PlatformIdentity Identity = new(PlatformKind.Sev, "chip", "root", true, "trust-1", new PlatformEvidence([], []));

    private static LaunchSession NewLaunch(byte fill = 0x5a) =>
        new(PlatformKind.Sev, new byte[2084], new byte[128], 0, Enumerable.Repeat(fill, 16).ToArray(), Enumerable.Repeat(fill, 16).ToArray());

    private static InMemorySessionStore Store(FakeTimeProvider time, Func<int>? ids = null, int max = 1024, int attempts = 3) =>
        new(new SessionLimitOptions { Ttl = TimeSpan.FromMinutes(5), IdleTtl = TimeSpan.FromMinutes(5), MaxSessions = max, MaxPerClient = int.MaxValue, MaxMeasurementAttempts = attempts },
            time, NullLogger<InMemorySessionStore>.Instance, ids);

    [Fact]
    public void Connection_ids_in_use_are_never_handed_out_again()
    {
        var sequence = new Queue<int>([7, 7, 0, -3, 7, 9]);
        using var store = Store(new FakeTimeProvider(), () => sequence.Dequeue());
        Assert.Equal(7, store.Add(NewLaunch(), Identity, "p").ConnectionId);
        Assert.Equal(9, store.Add(NewLaunch(), Identity, "p").ConnectionId);
    }

    [Fact]
    public void Completing_removes_the_session_and_zeroes_its_keys()
    {
        using var store = Store(new FakeTimeProvider());
        var launch = NewLaunch();
        var session = store.Add(launch, Identity, "p");
        using (var lease = store.TryAcquire(session.ConnectionId)!)
        {
            Assert.Null(store.TryAcquire(session.ConnectionId)); // exclusive while checked out
            lease.Complete();
        }
        Assert.Null(store.TryAcquire(session.ConnectionId));
        Assert.All(launch.Tek.ToArray().Concat(launch.Tik.ToArray()), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Expired_sessions_are_removed_lazily_and_by_the_sweep_and_zeroed()
    {
        var time = new FakeTimeProvider();
        using var store = Store(time);
        var a = NewLaunch();
        var b = NewLaunch();
        var first = store.Add(a, Identity, "p");
        store.Add(b, Identity, "p");
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(store.TryAcquire(first.ConnectionId));
        Assert.Equal(0, store.SweepExpired()); // the sweep timer already ran when the fake clock passed its period
        Assert.Equal(0, store.Count);
        Assert.All(a.Tik.ToArray().Concat(b.Tek.ToArray()), x => Assert.Equal(0, x));
    }

    [Fact]
    public void Failed_attempts_close_the_session_at_the_limit()
    {
        using var store = Store(new FakeTimeProvider(), attempts: 2);
        var session = store.Add(NewLaunch(), Identity, "p");
        using (var lease = store.TryAcquire(session.ConnectionId)!)
            Assert.False(lease.RecordFailedAttempt());
        using (var lease = store.TryAcquire(session.ConnectionId)!)
            Assert.True(lease.RecordFailedAttempt());
        Assert.Null(store.TryAcquire(session.ConnectionId));
    }

    [Fact]
    public void Full_store_throws_until_sessions_expire()
    {
        var time = new FakeTimeProvider();
        using var store = Store(time, max: 1);
        store.Add(NewLaunch(), Identity, "p");
        Assert.Throws<SessionStoreFullException>(() => store.Add(NewLaunch(), Identity, "p"));
        time.Advance(TimeSpan.FromMinutes(6));
        store.Add(NewLaunch(), Identity, "p");
    }

    [Fact]
    public void Parallel_adds_and_takes_are_consistent()
    {
        using var store = Store(new FakeTimeProvider(), max: 100_000);
        var ids = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, 2000, _ => ids.Add(store.Add(NewLaunch(), Identity, "p").ConnectionId));
        Assert.Equal(2000, ids.Distinct().Count());
        int completed = 0;
        Parallel.ForEach(ids.Concat(ids), id =>
        {
            using var lease = store.TryAcquire(id);
            if (lease is not null)
            {
                lease.Complete();
                Interlocked.Increment(ref completed);
            }
        });
        Assert.Equal(2000, completed);
        Assert.Equal(0, store.Count);
    }

    private static InMemorySessionStore Limited(FakeTimeProvider time, SessionLimitOptions options) =>
        new(options, time, NullLogger<InMemorySessionStore>.Instance, null);

    [Fact]
    public void A_session_never_asked_for_its_secret_expires_at_the_idle_ttl_and_one_asked_for_lives_to_the_ttl()
    {
        var time = new FakeTimeProvider();
        using var store = Limited(time, new SessionLimitOptions { Ttl = TimeSpan.FromMinutes(5), IdleTtl = TimeSpan.FromSeconds(30) });
        var idle = store.Add(NewLaunch(), Identity, "p");
        var asked = store.Add(NewLaunch(), Identity, "p");
        using (var lease = store.TryAcquire(asked.ConnectionId)!)
            Assert.False(lease.RecordFailedAttempt());

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Null(store.TryAcquire(idle.ConnectionId));
        using (var lease = store.TryAcquire(asked.ConnectionId))
            Assert.NotNull(lease);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(store.TryAcquire(asked.ConnectionId));
    }

    [Fact]
    public void One_client_cannot_hold_more_than_its_quota_while_another_still_can()
    {
        using var store = Limited(new FakeTimeProvider(), new SessionLimitOptions { MaxPerClient = 3 });
        for (int i = 0; i < 3; i++)
            store.Add(NewLaunch(), Identity, "p", "addr:127.0.0.2");
        var full = Assert.Throws<SessionStoreFullException>(() => store.Add(NewLaunch(), Identity, "p", "addr:127.0.0.2"));
        Assert.Equal(SessionLimit.PerClient, full.Limit);
        var other = store.Add(NewLaunch(), Identity, "p", "addr:127.0.0.1");

        // Releasing one gives the client its slot back.
        using (var lease = store.TryAcquire(other.ConnectionId)!)
            lease.Complete();
        Assert.Equal(3, store.Count);
    }

    [Fact]
    public void The_memory_bound_counts_what_sessions_hold()
    {
        using var store = Limited(new FakeTimeProvider(), new SessionLimitOptions { MaxMemoryMiB = 1, MaxPerClient = int.MaxValue });
        long each = LiveSession.FootprintOf(NewLaunch(), Identity);
        int fits = (int)(1024 * 1024 / each);
        for (int i = 0; i < fits; i++)
            store.Add(NewLaunch(), Identity, "p");
        Assert.Equal(SessionLimit.Memory, Assert.Throws<SessionStoreFullException>(() => store.Add(NewLaunch(), Identity, "p")).Limit);
        Assert.Equal(fits * each, store.Bytes);
    }
}
