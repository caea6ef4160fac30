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
/// <item>Every key carries the prefix as a hash tag (<c>{gop:}session:123</c>): one Cluster slot per deployment, so
/// each step is one script, atomic everywhere, and bundle and secret cost one round trip each.</item>
/// <item>Each session is one hash, <c>session:{connection id}</c>: the sealed value (<see cref="SealingKeyRing"/>,
/// bound to the connection id and launch id), the launch id, the failed-attempt count and whether a secret was asked
/// for; its Redis TTL is the idle TTL until a measurement is checked, then the rest of the session TTL. A second key,
/// <c>launch:{launch id}</c>, names the connection id for keybroker requests.</item>
/// <item>Creation is set-if-absent (a connection id or launch id another replica holds is never reused).</item>
/// <item>A secret request takes the session out of Redis atomically (read and delete in one script): two replicas
/// racing on one id cannot both hold it, so at most one releases. A failed measurement puts it back with the count
/// raised, or not at all at the limit; a request that ends without an outcome puts it back unchanged.</item>
/// <item>Live-session and per-client bounds are two sorted sets (member: connection id, score: expiry), checked and
/// updated in the script that creates the session.</item>
/// </list>
/// Any Redis failure is a <see cref="SessionStoreUnavailableException"/> (the broker denies UNAVAILABLE; never a fallback
/// to memory). Redis is trusted for availability and for the counters, not for secrecy: a value that does not unseal is
/// removed and denied (<see cref="SessionUnreadableException"/>), loudly. A replica killed while it holds a session for a
/// request loses that one launch (kata retries with a new bundle). The memory bound (Sessions:MaxMemoryMiB) is this
/// process's; Redis's own memory is bounded by Sessions:MaxSessions × the size of a value (about 9 KiB) and its maxmemory.
/// </summary>
public sealed class RedisSessionStore : ISessionStore, IDisposable
{
    // Every script touches only the keys it is given, and every key of a deployment shares one hash tag (the prefix), so
    // each script runs atomically on standalone, Sentinel and Cluster alike. Scores and TTLs are milliseconds.
    // KEYS: live set, client set, session hash, launch index. Returns 0 (created), 1 (sessions full), 2 (client full),
    // 3 (an id is live somewhere: draw again).
    private const string AddScript = """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
        if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 2 end
        if redis.call('EXISTS', KEYS[3]) == 1 or redis.call('EXISTS', KEYS[4]) == 1 or redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 3 end
        redis.call('ZADD', KEYS[1], ARGV[5], ARGV[2])
        redis.call('ZADD', KEYS[2], ARGV[5], ARGV[2])
        if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[10]) then redis.call('PEXPIRE', KEYS[2], ARGV[10]) end
        redis.call('HSET', KEYS[3], 'v', ARGV[6], 'l', ARGV[7], 'a', 0, 'r', 0)
        redis.call('PEXPIRE', KEYS[3], ARGV[8])
        redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[9])
        return 0
        """;
    // KEYS: session hash. Reads and deletes it in one step: whoever gets it holds the session alone.
    private const string TakeScript = """
        local h = redis.call('HMGET', KEYS[1], 'v', 'l', 'a', 'r')
        if not h[1] then return false end
        h[5] = redis.call('PTTL', KEYS[1])
        redis.call('DEL', KEYS[1])
        return h
        """;
    // KEYS: session hash, live set, client set. Puts a taken session back (unless its id was reused meanwhile), with its
    // TTL and its expiry in the bounds (re-added if a prune removed it meanwhile: only the holder writes it now).
    private const string PutBackScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'v', ARGV[1], 'l', ARGV[2], 'a', ARGV[3], 'r', ARGV[4])
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
        redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7])
        return 1
        """;
    // KEYS: live set, client set, launch index. A session that ended: its place in the bounds and its second name.
    // KEYS: session hash. Puts a value back exactly as it was taken (fields and remaining TTL); the bounds were not touched.
    private const string PutBackRawScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'v', ARGV[1], 'l', ARGV[2], 'a', ARGV[3], 'r', ARGV[4])
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        return 1
        """;
    private const string ForgetScript = """
        redis.call('ZREM', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('DEL', KEYS[3])
        return 0
        """;

    private readonly RedisConnection _connection;
    private readonly bool _ownsConnection;
    private readonly SealingKeyRing _keys;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisSessionStore> _logger;
    private readonly string _prefix;
    private readonly string _tag;
    private readonly RedisKey _liveKey;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _idleTtl;
    private readonly int _maxSessions;
    private readonly int _maxPerClient;
    private readonly int _maxAttempts;
    private long _operations;
    private readonly int _waitForReplicas;
    private readonly TimeSpan _timeout;
    private volatile bool _disposed;

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
        // The braces are a hash tag: every key of the deployment lives in one Cluster slot, so one script can create a
        // session, its index and its place in the bounds atomically. Cluster then adds availability, not capacity; a
        // deployment's sessions are small (a few MiB for thousands of launches).
        _tag = "{" + _prefix + "}";
        _liveKey = _tag + "live";
        _ttl = options.Ttl;
        _idleTtl = options.IdleTtl > TimeSpan.Zero && options.IdleTtl < options.Ttl ? options.IdleTtl : options.Ttl;
        _maxSessions = options.MaxSessions;
        _maxPerClient = Math.Max(1, options.MaxPerClient);
        _maxAttempts = options.MaxMeasurementAttempts;
        _waitForReplicas = options.Redis.WaitForReplicas;
        _timeout = options.Redis.Timeout;
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

            var session = new LiveSession(connectionId, launch, identity, peer, now, now + _ttl, launchId) { Client = client, Footprint = footprint };
            var sealedValue = Seal(session);
            var outcome = (long)await Run(db => db.ScriptEvaluateAsync(AddScript,
                [_liveKey, clientKey, SessionKey(connectionId), LaunchKey(launchId)],
                [nowMs, member, _maxSessions, _maxPerClient, idleUntil.ToUnixTimeMilliseconds(),
                    sealedValue, LaunchText(launchId), (long)_idleTtl.TotalMilliseconds, (long)_ttl.TotalMilliseconds, (long)_ttl.TotalMilliseconds]));
            switch (outcome)
            {
                case 0:
                    // The keys now live sealed in Redis; this copy is not needed (the bundle reads only the public parts).
                    launch.Dispose();
                    return session;
                case 1:
                    throw new SessionStoreFullException(SessionLimit.Sessions, _maxSessions);
                case 2:
                    throw new SessionStoreFullException(SessionLimit.PerClient, _maxPerClient);
            }
            // 3: that connection id or launch id is live on some replica; draw both again.
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
        if (!Guid.TryParseExact(fields[1].ToString(), "N", out var launchId)
            || !int.TryParse(fields[2].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out int attempts))
        {
            _logger.LogCritical("Session {ConnectionId} in Redis has malformed fields: removed, the launch is denied", connectionId);
            Fire(db => db.SortedSetRemoveAsync(_liveKey, connectionId.ToString(CultureInfo.InvariantCulture), CommandFlags.FireAndForget));
            throw new SessionUnreadableException($"session {connectionId} has malformed fields");
        }

        if (_waitForReplicas > 0)
            await AwaitReplication(connectionId);
        var session = await UnsealOrPutBack(sealedValue, connectionId, launchId, fields);
        session.FailedAttempts = attempts;
        session.SecretRequested = fields[3].ToString() == "1";
        var lease = new Lease(this, session, sealedValue);
        if (handle.LaunchId is { } asked && asked != launchId)
        {
            // The index named a connection id that now belongs to another launch (drawn again after the first ended):
            // not this request's session; back as it was.
            await lease.DisposeAsync();
            return null;
        }
        if (Remaining(session, session.SecretRequested) <= TimeSpan.Zero)
        {
            await lease.CloseAsync(); // expired by our clock; Redis's TTL was about to end it too
            return null;
        }
        return lease;
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
        ThrowIfShuttingDown();
        var plaintext = SessionRecord.Write(session);
        try
        {
            var sealedValue = _keys.Seal(plaintext, Context(session.ConnectionId, session.LaunchId));
            // Disposed meanwhile: the keys may have been zeroed under the seal; that value must never be stored.
            ThrowIfShuttingDown();
            return sealedValue;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>
    /// Single use must survive a failover: the take's delete has to be on <see cref="_waitForReplicas"/> replicas before
    /// the session is used, or a promoted replica that never saw it could hand the same session out again.
    /// </summary>
    private async ValueTask AwaitReplication(int connectionId)
    {
        // Half the command timeout, so Redis answers with the count before the client gives up on the command.
        var acknowledged = (long)await Run(db => db.ExecuteAsync("WAIT", _waitForReplicas, Math.Max(1, (long)(_timeout.TotalMilliseconds / 2))));
        if (acknowledged < _waitForReplicas)
        {
            _logger.LogError("Session {ConnectionId} taken but only {Acknowledged} of {Wanted} Redis replicas acknowledged it within {Timeout}: denied, the launch must start again",
                connectionId, acknowledged, _waitForReplicas, _timeout);
            throw new SessionStoreUnavailableException($"{acknowledged} of {_waitForReplicas} replicas acknowledged the take (Sessions:Redis:WaitForReplicas)");
        }
    }

    /// <summary>
    /// The session, unsealed. A value sealed with a key this replica does not have goes back unchanged (another replica,
    /// mid-rotation, may have it) and is a retryable denial; a value that fails its tag is removed and denied for good.
    /// </summary>
    private async ValueTask<LiveSession> UnsealOrPutBack(byte[] sealedValue, int connectionId, Guid launchId, RedisResult[] fields)
    {
        try
        {
            return Unseal(sealedValue, connectionId, launchId);
        }
        catch (SessionSealedWithUnknownKeyException)
        {
            long pttl = (long)fields[4];
            if (pttl > 0)
                await Run(db => db.ScriptEvaluateAsync(PutBackRawScript, [SessionKey(connectionId)],
                    [sealedValue, fields[1].ToString(), fields[2].ToString(), fields[3].ToString(), pttl]));
            throw;
        }
    }

    private void ThrowIfShuttingDown()
    {
        if (_disposed)
            throw new SessionStoreUnavailableException("the session store is shutting down");
    }

    private LiveSession Unseal(byte[] sealedValue, int connectionId, Guid launchId)
    {
        ThrowIfShuttingDown();
        var plaintext = _keys.Unseal(sealedValue, Context(connectionId, launchId), out var failure);
        if (plaintext is null && failure == UnsealFailure.UnknownKey)
        {
            var named = Convert.ToHexStringLower(sealedValue.AsSpan(SealedValueLayout.KeyId, SealingKey.IdSize));
            _logger.LogError(
                "Session {ConnectionId} in Redis is sealed with key id {KeyId}, which this server does not have ({KeyIds}): put back, the request is refused as retryable. " +
                "During a key rotation every replica must list the new key before any replica seals with it.",
                connectionId, named, string.Join(", ", _keys.KeyIds));
            throw new SessionSealedWithUnknownKeyException($"session {connectionId} is sealed with key id {named}, not configured here");
        }
        if (plaintext is null)
        {
            var keyId = sealedValue.Length >= SealedValueLayout.Nonce
                ? Convert.ToHexStringLower(sealedValue.AsSpan(SealedValueLayout.KeyId, SealingKey.IdSize))
                : "(none)";
            _logger.LogCritical(
                "Session {ConnectionId} in Redis does not unseal ({Failure}, sealed under key id {KeyId}; this server has {KeyIds}): removed, the launch is denied. " +
                "A removed sealing key, or a value altered in Redis.",
                connectionId, failure, keyId, string.Join(", ", _keys.KeyIds));
            ForgetInBackground(connectionId, launchId, client: null);
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
            ForgetInBackground(connectionId, launchId, client: null);
            throw new SessionUnreadableException($"session {connectionId} record does not parse");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>How long a session has left: the idle TTL until a measurement was checked, then the session TTL.</summary>
    private TimeSpan Remaining(LiveSession session, bool requested)
    {
        var until = requested ? session.ExpiresAt : Min(session.CreatedAt + _idleTtl, session.ExpiresAt);
        return until - _time.GetUtcNow();
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>Puts a taken session back, with its TTL and its expiry in the bounds; an expired one ends instead.</summary>
    private async ValueTask PutBack(LiveSession session, byte[] sealedValue, int attempts, bool requested)
    {
        var remaining = Remaining(session, requested);
        if (remaining <= TimeSpan.Zero)
        {
            ForgetInBackground(session.ConnectionId, session.LaunchId, session.Client);
            return;
        }
        var until = requested ? session.ExpiresAt : Min(session.CreatedAt + _idleTtl, session.ExpiresAt);
        var restored = (long)await Run(db => db.ScriptEvaluateAsync(PutBackScript, [SessionKey(session.ConnectionId), _liveKey, ClientKey(session.Client)],
            [sealedValue, LaunchText(session.LaunchId), attempts, requested ? 1 : 0, Math.Max(1, (long)remaining.TotalMilliseconds),
                until.ToUnixTimeMilliseconds(), session.ConnectionId.ToString(CultureInfo.InvariantCulture)]));
        if (restored == 0)
            _logger.LogWarning("Session {ConnectionId} could not be put back: its id is in use again; that launch must start again", session.ConnectionId);
    }

    /// <summary>
    /// Removes an ended session's place in the bounds and its second name (the session hash itself is already gone), without
    /// waiting: the request's answer does not depend on it, and if the command is lost the bounds still count the session
    /// until its expiry passes (conservative, never one session too many).
    /// </summary>
    private void ForgetInBackground(int connectionId, Guid launchId, string? client)
    {
        var member = connectionId.ToString(CultureInfo.InvariantCulture);
        if (client is null)
        {
            // Who held it is inside the value that did not open: the live set and the index are enough (the client's
            // set expires by itself).
            Fire(db => db.SortedSetRemoveAsync(_liveKey, member, CommandFlags.FireAndForget));
            Fire(db => db.KeyDeleteAsync(LaunchKey(launchId), CommandFlags.FireAndForget));
            return;
        }
        Fire(db => db.ScriptEvaluateAsync(ForgetScript, [_liveKey, ClientKey(client), LaunchKey(launchId)], [member], CommandFlags.FireAndForget));
    }

    // One hash tag for every key of the deployment (see the scripts).
    private RedisKey SessionKey(int connectionId) => _tag + "session:" + connectionId.ToString(CultureInfo.InvariantCulture);

    private RedisKey LaunchKey(Guid launchId) => _tag + "launch:" + LaunchText(launchId);

    private static string LaunchText(Guid launchId) => launchId.ToString("N");

    /// <summary>The client identity is hashed: a key name should not carry a certificate digest or an address.</summary>
    private RedisKey ClientKey(string client) =>
        _tag + "client:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(client)).AsSpan(0, 16));

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
        catch (Exception ex) when (ex is RedisException or RedisCommandException or TimeoutException or ObjectDisposedException or InvalidOperationException)
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
        catch (Exception)
        {
            // Whatever it was, the request's answer is already decided; expiry does this clean-up otherwise.
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
        if (_disposed)
            return;
        _disposed = true;
        if (_ownsConnection)
            _connection.Dispose();
        _keys.Dispose();
    }

    /// <summary>A session taken out of Redis for one request; this replica alone holds it until the lease ends.</summary>
    private sealed class Lease(RedisSessionStore store, LiveSession session, byte[] sealedValue) : ISessionLease
    {
        private bool _done;

        public LiveSession Session => session;

        public ValueTask CompleteAsync() => End();

        public ValueTask CloseAsync() => End();

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
                // A measurement was checked: from now on the whole-session TTL applies, not the idle one.
                await store.PutBack(session, sealedValue, attempts, requested: true);
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
                await store.PutBack(session, sealedValue, session.FailedAttempts, session.SecretRequested);
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

        private ValueTask End()
        {
            if (!_done)
            {
                _done = true;
                store.ForgetInBackground(session.ConnectionId, session.LaunchId, session.Client);
                session.Dispose();
            }
            return ValueTask.CompletedTask;
        }
    }
}
