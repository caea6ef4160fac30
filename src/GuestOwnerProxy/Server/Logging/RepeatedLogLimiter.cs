namespace GuestOwnerProxy.Server.Logging;

/// <summary>
/// Keeps a flood of identical failures from flooding the log: the first line of a kind is written, repeats
/// within <see cref="Interval"/> are only counted, and at the end of the interval one summary line per kind says how
/// many were left out (through the callback given; without one, the next line written of that kind says it).
/// Used for log lines only, never for the audit (every decision keeps its own record there). Costs a dictionary
/// lookup under a lock per line, so a refused request is not made dearer by its log line (issue 14).
/// </summary>
public sealed class RepeatedLogLimiter : IDisposable
{
    // More distinct kinds than this in one interval is itself a flood: start over rather than grow.
    private const int MaxKinds = 1024;

    private readonly TimeProvider _time;
    private readonly Action<string, int, TimeSpan>? _summarize;
    private readonly Dictionary<string, (DateTimeOffset Logged, int Suppressed)> _kinds = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private ITimer? _summary;

    /// <param name="summarize">Called at the end of an interval with each kind that had repeats left out, how many, and
    /// the interval; on a timer thread, outside the lock.</param>
    public RepeatedLogLimiter(TimeProvider time, TimeSpan? interval = null, Action<string, int, TimeSpan>? summarize = null)
    {
        _time = time;
        _summarize = summarize;
        Interval = interval ?? TimeSpan.FromSeconds(10);
    }

    public TimeSpan Interval { get; }

    /// <summary>True when a line of this kind should be written now; <paramref name="suppressed"/> is how many
    /// were left out since the last one written or summarised.</summary>
    public bool ShouldLog(string kind, out int suppressed)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_kinds.TryGetValue(kind, out var entry) && now - entry.Logged < Interval)
            {
                _kinds[kind] = entry with { Suppressed = entry.Suppressed + 1 };
                suppressed = 0;
                if (_summarize is not null && _summary is null)
                    _summary = _time.CreateTimer(_ => Summarize(), null, Interval, Timeout.InfiniteTimeSpan);
                return false;
            }
            if (_kinds.Count >= MaxKinds)
                _kinds.Clear();
            suppressed = entry.Suppressed;
            _kinds[kind] = (now, 0);
            return true;
        }
    }

    private void Summarize()
    {
        List<(string Kind, int Count)> left = [];
        lock (_lock)
        {
            _summary?.Dispose();
            _summary = null;
            foreach (var (kind, entry) in _kinds)
            {
                if (entry.Suppressed > 0)
                    left.Add((kind, entry.Suppressed));
            }
            foreach (var (kind, _) in left)
                _kinds[kind] = _kinds[kind] with { Suppressed = 0 };
        }
        foreach (var (kind, count) in left)
            _summarize!(kind, count, Interval);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _summary?.Dispose();
            _summary = null;
        }
    }
}
