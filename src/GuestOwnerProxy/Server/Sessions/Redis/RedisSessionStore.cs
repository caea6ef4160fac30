using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Configuration;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace GuestOwnerProxy.Server.Sessions.Redis;

/// <summary>
/// Sessions in Redis, shared by every replica and surviving restarts, with the in-memory store's semantics.
/// <list type="bullet">
/// <item>Each session is one hash, <c>{prefix}session:{connection id}</c>: the sealed value (<see cref="SealingKeyRing"/>,
/// bound to the connection id and launch id), the launch id, the failed-attempt count and whether a secret was asked
/// for; its Redis TTL is the idle TTL until a measurement is checked, then the rest of the session TTL. A second key,
/// <c>{prefix}launch:{launch id}</c>, names the connection id for keybroker requests.</item>
/// <item>Creation is set-if-absent (a connection id or launch id another replica holds is never reused).</item>
/// <item>A secret request takes the session out of Redis atomically (read and delete in one script): two replicas
/// racing on one id cannot both hold it, so at most one releases. A failed measurement puts it back with the count
/// raised, or not at all at the limit; a request that ends without an outcome puts it back unchanged.</item>
/// <item>Live-session and per-client bounds are two sorted sets (member: connection id, score: expiry), checked and
/// updated in one script, under one hash tag so the script also runs on Redis Cluster.</item>
/// </list>
/// Any Redis failure is a <see cref="SessionStoreUnavailableException"/> (the broker denies UNAVAILABLE; never a fallback
/// to memory). Redis is trusted for availability and for the counters, not for secrecy: a value that does not unseal is
/// removed and denied (<see cref="SessionUnreadableException"/>), loudly. A replica killed while it holds a session for a
/// request loses that one launch (kata retries with a new bundle). The memory bound (Sessions:MaxMemoryMiB) is this
/// process's; Redis's own memory is bounded by Sessions:MaxSessions × the size of a value (about 9 KiB) and its maxmemory.
/// </summary>
public sealed class RedisSessionStore : ISessionStore, IDisposable
{
    // Every script touches only the keys it is given (Cluster-safe). Scores and TTLs are milliseconds.
    private const string AdmitScript = """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
        if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 2 end
        if redis.call('ZADD', KEYS[1], 'NX', ARGV[5], ARGV[2]) == 0 then return 3 end
        redis.call('ZADD', KEYS[2], ARGV[5], ARGV[2])
        if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
        return 0
        """;
    private const string RetimeScript = """
        redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
        redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[1])
        if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
        return 0
        """;
    private const string ReleaseScript = """
        redis.call('ZREM', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        return 0
        """;
    private const string PutScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'v', ARGV[1], 'l', ARGV[2], 'a', ARGV[3], 'r', ARGV[4])
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        return 1
        """;
    private const string TakeScript = """
        local h = redis.call('HMGET', KEYS[1], 'v', 'l', 'a', 'r')
        if not h[1] then return false end
        redis.call('DEL', KEYS[1])
        return h
        """;

    private readonly RedisConnection _connection;
    private readonly bool _ownsConnection;
    private readonly SealingKeyRing _keys;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisSessionStore> _logger;
    private readonly string _prefix;
    private readonly RedisKey _liveKey;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _idleTtl;
    private readonly int _maxSessions;
    private readonly int _maxPerClient;
    private readonly int _maxAttempts;
    private long _operations;

    /// <summary>Settings are read once, at start-up, like the in-memory store's.</summary>
    public RedisSessionStore(ServerSettings settings, TimeProvider time, ILogger<RedisSessionStore> logger)
        : this(settings.Current.Sessions, RedisConnection.Open(settings.Current.Sessions.Redis), ownsConnection: true,
            SealingKeyRing.Load(settings.Current.Sessions.Redis.SealingKeyFiles), time, logger) { }

    internal RedisSessionStore(SessionLimitOptions options, RedisConnection connection, bool ownsConnection, SealingKeyRing keys,
        TimeProvider time, ILogger<RedisSessionStore> logger)
    {
        _connection = connection;
        _ownsConnection = ownsConnection;
        _keys = keys;
        _time = time;
        _logger = logger;
        _prefix = options.Redis.KeyPrefix;
        // The braces are a hash tag: both quota sets live in one Cluster slot, so one script can check and update both.
        _liveKey = _prefix + "{quota}:live";
        _ttl = options.Ttl;
        _idleTtl = options.IdleTtl > TimeSpan.Zero && options.IdleTtl < options.Ttl ? options.IdleTtl : options.Ttl;
        _maxSessions = options.MaxSessions;
        _maxPerClient = Math.Max(1, options.MaxPerClient);
        _maxAttempts = options.MaxMeasurementAttempts;
        // Only the command connection: the subscription connection reports the same outage a second time.
        connection.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
                _logger.LogError("Session store: Redis connection to {Endpoint} lost ({FailureType}); bundles and secrets are denied UNAVAILABLE until it returns",
                    e.EndPoint, e.FailureType);
        };
        connection.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
                _logger.LogWarning("Session store: Redis connection to {Endpoint} restored", e.EndPoint);
        };
        _logger.LogInformation("Session store: Redis (key prefix {Prefix}), sealing key {KeyId}; {Count} key(s) can unseal: {KeyIds}",
            _prefix, keys.SealingKey.IdText, keys.KeyIds.Count, string.Join(", ", keys.KeyIds));
        if (!connection.IsConnected)
            _logger.LogError("Session store: Redis is not reachable yet; bundles and secrets are denied UNAVAILABLE until it is (reconnecting in the background)");
    }

    /// <summary>Redis commands sent so far (each script is one), for the load test's operations per launch.</summary>
    public long Operations => Interlocked.Read(ref _operations);

    public async ValueTask<LiveSession> AddAsync(LaunchSession launch, PlatformIdentity identity, string peer, string client)
    {
        long footprint = LiveSession.FootprintOf(launch, identity);
        var clientKey = ClientKey(client);
        for (int attempt = 0; ; attempt++)
        {
            if (attempt == 8)
                throw new SessionStoreUnavailableException("could not find a free connection id after 8 attempts");
            int connectionId = RandomNumberGenerator.GetInt32(1, int.MaxValue);
            var launchId = InMemorySessionStore.NewLaunchId();
            var now = _time.GetUtcNow();
            var idleUntil = now + _idleTtl;
            long nowMs = now.ToUnixTimeMilliseconds();
            var member = connectionId.ToString(CultureInfo.InvariantCulture);

            var admitted = (long)await Run(db => db.ScriptEvaluateAsync(AdmitScript, [_liveKey, clientKey],
                [nowMs, member, _maxSessions, _maxPerClient, idleUntil.ToUnixTimeMilliseconds(), (long)_ttl.TotalMilliseconds]));
            switch (admitted)
            {
                case 1: throw new SessionStoreFullException(SessionLimit.Sessions, _maxSessions);
                case 2: throw new SessionStoreFullException(SessionLimit.PerClient, _maxPerClient);
                case 3: continue; // that connection id is live on some replica
            }

            var session = new LiveSession(connectionId, launch, identity, peer, now, now + _ttl, launchId) { Client = client, Footprint = footprint };
            var sealedValue = Seal(session);
            var idleMs = (long)_idleTtl.TotalMilliseconds;
            // Both names are claimed set-if-absent; a clash (another replica's live id) undoes both and draws again.
            var claimLaunch = Run(db => db.StringSetAsync(LaunchKey(launchId), member, _ttl, When.NotExists));
            var claimSession = Run(db => db.ScriptEvaluateAsync(PutScript, [SessionKey(connectionId)],
                [sealedValue, LaunchText(launchId), 0, 0, idleMs]));
            bool launchFree, sessionFree;
            try
            {
                launchFree = await claimLaunch;
                sessionFree = (long)await claimSession == 1;
            }
            catch
            {
                await Forget(connectionId, launchId, clientKey);
                throw;
            }
            if (launchFree && sessionFree)
            {
                // The keys now live sealed in Redis; this copy is not needed (the bundle reads only the public parts).
                launch.Dispose();
                return session;
            }
            if (launchFree)
                Fire(db => db.KeyDeleteAsync(LaunchKey(launchId), CommandFlags.FireAndForget));
            if (sessionFree)
                Fire(db => db.KeyDeleteAsync(SessionKey(connectionId), CommandFlags.FireAndForget));
            Fire(db => db.ScriptEvaluateAsync(ReleaseScript, [_liveKey, clientKey], [member], CommandFlags.FireAndForget));
        }
    }

    public async ValueTask<ISessionLease?> TryAcquireAsync(SessionHandle handle)
    {
        int connectionId;
        if (handle.LaunchId is { } wanted)
        {
            var named = await Run(db => db.StringGetAsync(LaunchKey(wanted)));
            if (named.IsNull || !int.TryParse(named.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out connectionId))
                return null;
        }
        else
            connectionId = handle.ConnectionId!.Value;

        var taken = await Run(db => db.ScriptEvaluateAsync(TakeScript, [SessionKey(connectionId)]));
        if (taken.IsNull)
            return null;
        var fields = (RedisResult[])taken!;
        byte[] sealedValue = (byte[])fields[0]!;
        string launchText = fields[1].ToString();
        int attempts = int.Parse(fields[2].ToString(), NumberStyles.None, CultureInfo.InvariantCulture);
        bool requested = fields[3].ToString() == "1";
        if (!Guid.TryParseExact(launchText, "N", out var launchId) || (handle.LaunchId is { } asked && asked != launchId))
        {
            // The index named a session that is not this launch's (a stale index after the id was drawn again): not ours to take.
            await PutBack(connectionId, sealedValue, launchText, attempts, requested, Remaining(null, requested));
            return null;
        }

        var session = Unseal(sealedValue, connectionId, launchId);
        session.FailedAttempts = attempts;
        session.SecretRequested = requested;
        var remaining = Remaining(session, requested);
        if (remaining <= TimeSpan.Zero)
        {
            await Forget(connectionId, launchId, ClientKey(session.Client));
            session.Dispose();
            return null;
        }
        return new Lease(this, session, sealedValue);
    }

    public async ValueTask<int> CountAsync()
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return (int)await Run(db => db.SortedSetLengthAsync(_liveKey, now, double.PositiveInfinity, Exclude.Start));
    }

    /// <summary>Null when Redis answers a PING within the timeout; otherwise why not (for health).</summary>
    public async ValueTask<string?> ProblemAsync()
    {
        try
        {
            await Run(db => db.PingAsync());
            return null;
        }
        catch (SessionStoreUnavailableException ex)
        {
            return ex.Message;
        }
    }

    private byte[] Seal(LiveSession session)
    {
        var plaintext = SessionRecord.Write(session);
        try
        {
            return _keys.Seal(plaintext, Context(session.ConnectionId, session.LaunchId));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private LiveSession Unseal(byte[] sealedValue, int connectionId, Guid launchId)
    {
        var plaintext = _keys.Unseal(sealedValue, Context(connectionId, launchId), out var failure);
        if (plaintext is null)
        {
            var keyId = sealedValue.Length >= SealedValueLayout.Nonce
                ? Convert.ToHexStringLower(sealedValue.AsSpan(SealedValueLayout.KeyId, SealingKey.IdSize))
                : "(none)";
            _logger.LogCritical(
                "Session {ConnectionId} in Redis does not unseal ({Failure}, sealed under key id {KeyId}; this server has {KeyIds}): removed, the launch is denied. " +
                "A removed sealing key, or a value altered in Redis.",
                connectionId, failure, keyId, string.Join(", ", _keys.KeyIds));
            Fire(db => db.KeyDeleteAsync(LaunchKey(launchId), CommandFlags.FireAndForget));
            Fire(db => db.SortedSetRemoveAsync(_liveKey, connectionId.ToString(CultureInfo.InvariantCulture), CommandFlags.FireAndForget));
            throw new SessionUnreadableException($"session {connectionId} does not unseal ({failure})");
        }
        try
        {
            return SessionRecord.Read(plaintext, connectionId, launchId);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            _logger.LogCritical("Session {ConnectionId} unsealed but its record does not parse ({Error}): removed, the launch is denied",
                connectionId, ex.Message);
            throw new SessionUnreadableException($"session {connectionId} record does not parse");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>How long a session has left in Redis: the idle TTL until a measurement was checked, then the session TTL.</summary>
    private TimeSpan Remaining(LiveSession? session, bool requested)
    {
        if (session is null)
            return _idleTtl; // only for a stale index's put-back: the next read checks the sealed expiry
        var now = _time.GetUtcNow();
        var until = requested ? session.ExpiresAt : Min(session.CreatedAt + _idleTtl, session.ExpiresAt);
        return until - now;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private async ValueTask PutBack(int connectionId, byte[] sealedValue, string launchText, int attempts, bool requested, TimeSpan remaining)
    {
        if (remaining <= TimeSpan.Zero)
            return;
        await Run(db => db.ScriptEvaluateAsync(PutScript, [SessionKey(connectionId)],
            [sealedValue, launchText, attempts, requested ? 1 : 0, Math.Max(1, (long)remaining.TotalMilliseconds)]));
    }

    /// <summary>Removes a session's index and its place in the bounds (the session hash itself is already gone).</summary>
    private async ValueTask Forget(int connectionId, Guid launchId, RedisKey clientKey)
    {
        var member = connectionId.ToString(CultureInfo.InvariantCulture);
        try
        {
            var release = Run(db => db.ScriptEvaluateAsync(ReleaseScript, [_liveKey, clientKey], [member]));
            var index = Run(db => db.KeyDeleteAsync(LaunchKey(launchId)));
            await release;
            await index;
        }
        catch (SessionStoreUnavailableException)
        {
            // The bounds count it until its score (expiry) passes: conservative, never a session too many.
        }
    }

    private RedisKey SessionKey(int connectionId) => _prefix + "session:" + connectionId.ToString(CultureInfo.InvariantCulture);

    private RedisKey LaunchKey(Guid launchId) => _prefix + "launch:" + LaunchText(launchId);

    private static string LaunchText(Guid launchId) => launchId.ToString("N");

    /// <summary>The client identity is hashed: a key name should not carry a certificate digest or an address.</summary>
    private RedisKey ClientKey(string client) =>
        _prefix + "{quota}:client:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(client)).AsSpan(0, 16));

    /// <summary>The associated data of a session's seal: its connection id and launch id.</summary>
    private static byte[] Context(int connectionId, Guid launchId)
    {
        var context = new byte[4 + 16];
        BinaryPrimitives.WriteInt32BigEndian(context, connectionId);
        launchId.TryWriteBytes(context.AsSpan(4), bigEndian: true, out _);
        return context;
    }

    private async Task<T> Run<T>(Func<IDatabase, Task<T>> command)
    {
        Interlocked.Increment(ref _operations);
        try
        {
            return await command(_connection.Database).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The type and StackExchange.Redis's text (endpoint, state, command name): never a value.
            throw new SessionStoreUnavailableException($"Redis: {ex.GetType().Name}: {FirstLine(ex.Message)}", ex);
        }
    }

    /// <summary>A command whose outcome does not matter to the request (clean-up that expiry would also do).</summary>
    private void Fire<T>(Func<IDatabase, Task<T>> command)
    {
        Interlocked.Increment(ref _operations);
        try
        {
            _ = command(_connection.Database);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
        }
    }

    /// <summary>StackExchange.Redis's messages go on with its whole connection state: the first two clauses say what happened.</summary>
    private static string FirstLine(string text)
    {
        int end = text.IndexOf('\n');
        var line = end < 0 ? text : text[..end].TrimEnd();
        int first = line.IndexOf("; ", StringComparison.Ordinal);
        int second = first < 0 ? -1 : line.IndexOf(", ", first + 2, StringComparison.Ordinal);
        return second < 0 ? line : line[..second];
    }

    public void Dispose()
    {
        _keys.Dispose();
        if (_ownsConnection)
            _connection.Dispose();
    }

    /// <summary>A session taken out of Redis for one request; this replica alone holds it until the lease ends.</summary>
    private sealed class Lease(RedisSessionStore store, LiveSession session, byte[] sealedValue) : ISessionLease
    {
        private bool _done;

        public LiveSession Session => session;

        public async ValueTask CompleteAsync() => await End();

        public async ValueTask CloseAsync() => await End();

        public async ValueTask<bool> RecordFailedAttemptAsync()
        {
            if (_done)
                return true;
            int attempts = session.FailedAttempts + 1;
            if (attempts >= store._maxAttempts)
            {
                await End();
                return true;
            }
            _done = true;
            try
            {
                var remaining = store.Remaining(session, requested: true);
                await store.PutBack(session.ConnectionId, sealedValue, LaunchText(session.LaunchId), attempts, requested: true, remaining);
                // From now on the whole-session TTL applies to the bounds too, not the idle one.
                await store.Run(db => db.ScriptEvaluateAsync(RetimeScript, [store._liveKey, store.ClientKey(session.Client)],
                    [session.ConnectionId.ToString(CultureInfo.InvariantCulture), session.ExpiresAt.ToUnixTimeMilliseconds(), (long)store._ttl.TotalMilliseconds]));
                return false;
            }
            finally
            {
                session.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_done)
                return;
            _done = true;
            try
            {
                // No outcome (a refusal that leaves the session usable): back as it was.
                await store.PutBack(session.ConnectionId, sealedValue, LaunchText(session.LaunchId), session.FailedAttempts,
                    session.SecretRequested, store.Remaining(session, session.SecretRequested));
            }
            catch (SessionStoreUnavailableException ex)
            {
                store._logger.LogWarning("Session {ConnectionId} could not be put back in Redis ({Error}); that launch must start again",
                    session.ConnectionId, ex.Message);
            }
            finally
            {
                session.Dispose();
            }
        }

        private async ValueTask End()
        {
            if (_done)
                return;
            _done = true;
            try
            {
                await store.Forget(session.ConnectionId, session.LaunchId, store.ClientKey(session.Client));
            }
            finally
            {
                session.Dispose();
            }
        }
    }
}
