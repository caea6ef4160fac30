namespace GuestOwnerProxy.Server.Logging;

/// <summary>
/// Keeps a flood of identical failures from flooding the log: the first line of a kind is written, repeats
/// within <see cref="Interval"/> are only counted, and the next line written says how many were left out.
/// Used for log lines only, never for the audit (every decision keeps its own record there).
/// </summary>
public sealed class RepeatedLogLimiter
{
    // More distinct kinds than this in one interval is itself a flood: start over rather than grow.
    private const int MaxKinds = 1024;

    private readonly TimeProvider _time;
    private readonly Dictionary<string, (DateTimeOffset Logged, int Suppressed)> _kinds = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public RepeatedLogLimiter(TimeProvider time, TimeSpan? interval = null)
    {
        _time = time;
        Interval = interval ?? TimeSpan.FromSeconds(10);
    }

    public TimeSpan Interval { get; }

    /// <summary>True when a line of this kind should be written now; <paramref name="suppressed"/> is how many
    /// were left out since the last one written.</summary>
    public bool ShouldLog(string kind, out int suppressed)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_kinds.TryGetValue(kind, out var entry) && now - entry.Logged < Interval)
            {
                _kinds[kind] = entry with { Suppressed = entry.Suppressed + 1 };
                suppressed = 0;
                return false;
            }
            if (_kinds.Count >= MaxKinds)
                _kinds.Clear();
            suppressed = entry.Suppressed;
            _kinds[kind] = (now, 0);
            return true;
        }
    }
}
