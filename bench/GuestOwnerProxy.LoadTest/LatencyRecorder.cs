namespace GuestOwnerProxy.LoadTest;

/// <summary>The timed steps of one operation, in order: a launch's, or a refused request's.</summary>
public static class Steps
{
    public const string Refused = "GetLaunchSecret refused (rpc)";
    public const string Launch = "launch (total)";
    public const string Bundle = "GetLaunchBundle (rpc)";
    public const string Start = "LAUNCH_START (sim)";
    public const string Measure = "UPDATE_DATA+MEASURE (sim)";
    public const string Secret = "GetLaunchSecret (rpc)";
    public const string Inject = "LAUNCH_SECRET+check (sim)";

    public static readonly string[] OfLaunch = [Launch, Bundle, Start, Measure, Secret, Inject];
    public static readonly string[] OfRefusal = [Refused];

    public static string[] Of(LoadMode mode) => mode == LoadMode.Launch ? OfLaunch : OfRefusal;
}

/// <summary>Durations per step for one worker (no locking on the hot path); merged at the end.</summary>
public sealed class LatencyRecorder(IReadOnlyList<string> steps)
{
    private readonly Dictionary<string, List<double>> _milliseconds = steps.ToDictionary(s => s, _ => new List<double>());

    public void Add(string step, TimeSpan duration) => _milliseconds[step].Add(duration.TotalMilliseconds);

    /// <summary>Per step, in <paramref name="steps"/>' order (the report and the JSON keep it).</summary>
    public static Dictionary<string, LatencySummary> Summarize(IReadOnlyList<string> steps, IEnumerable<LatencyRecorder> recorders) =>
        steps.ToDictionary(s => s, s => LatencySummary.Of(recorders.SelectMany(r => r._milliseconds[s])));
}

public sealed record LatencySummary(int Count, double P50, double P90, double P99, double Max, double Mean)
{
    public static LatencySummary Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            return new LatencySummary(0, 0, 0, 0, 0, 0);
        return new LatencySummary(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.90), Rank(sorted, 0.99), sorted[^1], sorted.Average());
    }

    // Nearest-rank percentile: an observed value, never an interpolation between two.
    private static double Rank(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
