using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Sessions;

/// <summary>
/// Sessions in process memory: a TTL measured with the injected <see cref="TimeProvider"/> (and a shorter idle TTL
/// for sessions whose secret was never asked for), bounds on live sessions by count, by estimated memory and per
/// client, single use, and removal after too many failed measurements. Expiry is lazy (on
/// every access) and swept in the background. Removing a session always zeroes its TEK/TIK.
/// </summary>
public sealed class InMemorySessionStore : ISessionStore, IDisposable
{
    private readonly Dictionary<int, Entry> _sessions = [];
    // Second index: the keybroker protocol names the same sessions by UUID.
    private readonly Dictionary<Guid, int> _byLaunchId = [];
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly ILogger<InMemorySessionStore> _logger;
    private readonly Func<int> _nextId;
    private readonly ITimer? _sweeper;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _idleTtl;
    private readonly int _maxSessions;
    private readonly long _maxBytes;
    private readonly int _maxPerClient;
    private readonly int _maxAttempts;
    // What live sessions hold, in total and per client, kept with every add and removal under the lock.
    private long _bytes;
    private readonly Dictionary<string, int> _perClient = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Session limits are read once, at start-up (ServerHost resolves the store before it listens).</summary>
    public InMemorySessionStore(ServerSettings settings, TimeProvider time, ILogger<InMemorySessionStore> logger)
        : this(settings.Current.Sessions, time, logger, null) { }

    /// <param name="idSource">Connection id source for tests; production uses the CSPRNG.</param>
    internal InMemorySessionStore(SessionLimitOptions options, TimeProvider time, ILogger<InMemorySessionStore> logger, Func<int>? idSource)
    {
        if (options.Ttl <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "session TTL must be positive");
        if (options.MaxSessions < 1 || options.MaxMeasurementAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxSessions and MaxMeasurementAttempts must be at least 1");
        _ttl = options.Ttl;
        _idleTtl = options.IdleTtl > TimeSpan.Zero && options.IdleTtl < options.Ttl ? options.IdleTtl : options.Ttl;
        _maxSessions = options.MaxSessions;
        _maxBytes = (long)Math.Max(1, options.MaxMemoryMiB) * 1024 * 1024;
        _maxPerClient = Math.Max(1, options.MaxPerClient);
        _maxAttempts = options.MaxMeasurementAttempts;
        _time = time;
        _logger = logger;
        _nextId = idSource ?? (() => RandomNumberGenerator.GetInt32(1, int.MaxValue));
        var period = TimeSpan.FromTicks(Math.Clamp(_idleTtl.Ticks / 2, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _sweeper = time.CreateTimer(_ => SweepExpired(), null, period, period);
    }

    /// <summary>Live sessions, now (the synchronous form the store's own callers and tests use).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                RemoveExpiredLocked();
                return _sessions.Count;
            }
        }
    }

    public ValueTask<int> CountAsync() => ValueTask.FromResult(Count);

    public ValueTask<LiveSession> AddAsync(LaunchSession launch, PlatformIdentity identity, string peer, string client) =>
        ValueTask.FromResult(Add(launch, identity, peer, client));

    /// <summary>Estimated bytes live sessions hold now.</summary>
    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    public ValueTask<ISessionLease?> TryAcquireAsync(SessionHandle handle) => ValueTask.FromResult<ISessionLease?>(
        handle.LaunchId is { } launchId ? TryAcquire(launchId) : TryAcquire(handle.ConnectionId!.Value));

    public LiveSession Add(LaunchSession launch, PlatformIdentity identity, string peer, string client = "test")
    {
        long footprint = LiveSession.FootprintOf(launch, identity);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!Admits(client, footprint))
                RemoveExpiredLocked();
            if (_sessions.Count >= _maxSessions)
                throw new SessionStoreFullException(SessionLimit.Sessions, _maxSessions);
            if (_bytes + footprint > _maxBytes)
                throw new SessionStoreFullException(SessionLimit.Memory, _maxBytes);
            if (_perClient.GetValueOrDefault(client) >= _maxPerClient)
                throw new SessionStoreFullException(SessionLimit.PerClient, _maxPerClient);

            int id;
            int tries = 0;
            do
            {
                id = _nextId();
                if (++tries > 1000)
                    throw new InvalidOperationException("connection id source keeps returning ids in use");
            }
            while (id <= 0 || _sessions.ContainsKey(id));

            Guid launchId;
            do
                launchId = NewLaunchId();
            while (_byLaunchId.ContainsKey(launchId));

            var now = _time.GetUtcNow();
            var session = new LiveSession(id, launch, identity, peer, now, now + _ttl, launchId) { Client = client, Footprint = footprint };
            _sessions.Add(id, new Entry(session));
            _byLaunchId.Add(launchId, id);
            _bytes += footprint;
            _perClient[client] = _perClient.GetValueOrDefault(client) + 1;
            return session;
        }
    }

    internal Lease? TryAcquire(int connectionId)
    {
        lock (_lock)
            return TryAcquireLocked(connectionId);
    }

    internal Lease? TryAcquire(Guid launchId)
    {
        lock (_lock)
            return _byLaunchId.TryGetValue(launchId, out int connectionId) ? TryAcquireLocked(connectionId) : null;
    }

    private Lease? TryAcquireLocked(int connectionId)
    {
        if (!_sessions.TryGetValue(connectionId, out var entry))
            return null;
        if (IsExpired(entry.Session))
        {
            RemoveLocked(entry, "expired");
            return null;
        }
        if (entry.Busy)
            return null;
        entry.Busy = true;
        return new Lease(this, entry);
    }

    /// <summary>A version-4 UUID from the CSPRNG: launch ids must be as unguessable as connection ids.</summary>
    internal static Guid NewLaunchId()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0f) | 0x40); // version 4 (Guid's little-endian time_hi_and_version)
        bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }

    /// <summary>Removes expired sessions (timer callback; also callable from tests).</summary>
    public int SweepExpired()
    {
        lock (_lock)
            return RemoveExpiredLocked();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _sweeper?.Dispose();
            // A leased session is still in use by its request: its lease zeroes it when it ends.
            foreach (var entry in _sessions.Values.Where(e => !e.Busy))
                entry.Session.Dispose();
            _sessions.Clear();
            _byLaunchId.Clear();
        }
    }

    private bool Admits(string client, long footprint) =>
        _sessions.Count < _maxSessions && _bytes + footprint <= _maxBytes && _perClient.GetValueOrDefault(client) < _maxPerClient;

    private bool IsExpired(LiveSession session)
    {
        var now = _time.GetUtcNow();
        return now >= session.ExpiresAt || (!session.SecretRequested && now >= session.CreatedAt + _idleTtl);
    }

    private int RemoveExpiredLocked()
    {
        // A session checked out by a request in flight is left to that request.
        var expired = _sessions.Values.Where(e => !e.Busy && IsExpired(e.Session)).ToList();
        foreach (var entry in expired)
            RemoveLocked(entry, "expired");
        return expired.Count;
    }

    private void RemoveLocked(Entry entry, string why)
    {
        if (!_sessions.Remove(entry.Session.ConnectionId))
        {
            // The store was disposed while this session was leased: its lease ends it now.
            if (_disposed)
                entry.Session.Dispose();
            return;
        }
        {
            _byLaunchId.Remove(entry.Session.LaunchId);
            _bytes -= entry.Session.Footprint;
            if (_perClient.TryGetValue(entry.Session.Client, out int held))
            {
                if (held <= 1)
                    _perClient.Remove(entry.Session.Client);
                else
                    _perClient[entry.Session.Client] = held - 1;
            }
            entry.Session.Dispose();
            _logger.LogDebug("Session {ConnectionId} removed ({Reason})", entry.Session.ConnectionId, why);
        }
    }

    internal sealed class Entry(LiveSession session)
    {
        public LiveSession Session { get; } = session;
        public bool Busy { get; set; }
    }

    internal sealed class Lease(InMemorySessionStore store, Entry entry) : ISessionLease, IDisposable
    {
        private bool _done;

        public LiveSession Session => entry.Session;

        public ValueTask CompleteAsync()
        {
            Complete();
            return ValueTask.CompletedTask;
        }

        public ValueTask<bool> RecordFailedAttemptAsync() => ValueTask.FromResult(RecordFailedAttempt());

        public ValueTask CloseAsync()
        {
            lock (store._lock)
            {
                if (!_done)
                {
                    _done = true;
                    store.RemoveLocked(entry, "closed: it can never succeed");
                }
            }
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        public void Complete()
        {
            lock (store._lock)
            {
                if (_done) return;
                _done = true;
                store.RemoveLocked(entry, "secret released");
            }
        }

        public bool RecordFailedAttempt()
        {
            lock (store._lock)
            {
                if (_done) return true;
                _done = true;
                // A measurement was checked: from now on the whole-session TTL applies, not the idle one.
                entry.Session.SecretRequested = true;
                entry.Session.FailedAttempts++;
                if (entry.Session.FailedAttempts >= store._maxAttempts)
                {
                    store.RemoveLocked(entry, $"{entry.Session.FailedAttempts} failed measurement attempts");
                    return true;
                }
                entry.Busy = false;
                return false;
            }
        }

        public void Dispose()
        {
            lock (store._lock)
            {
                if (_done) return;
                _done = true;
                entry.Busy = false;
                if (store._disposed)
                    entry.Session.Dispose();
            }
        }
    }
}
