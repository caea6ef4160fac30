using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GuestOwnerProxy.LoadTest;

/// <summary>
/// The one JSON result of a run (--json on stdout, --json-out FILE): what was asked, what happened, what it cost the
/// server and the client, and on which machine. bench/compare.sh reads these fields; a change here changes it too.
/// </summary>
public sealed record ResultDocument(
    int Schema,
    string Date,
    MachineInfo Machine,
    RunOptions Options,
    RunOutcome Result,
    ServerFigures? Server,
    ResourceFigures Client,
    int? SessionsLeft)
{
    public const int CurrentSchema = 1;

    private static readonly JsonSerializerOptions Format = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Format);

    public static ResultDocument Of(LoadTestOptions options, string address, PhaseResult result, ServerFigures? server,
        ResourceFigures client, int? sessionsLeft, int imageBytes)
    {
        double seconds = result.Elapsed.TotalSeconds;
        var run = new RunOptions(
            Mode: options.Mode == LoadMode.Launch ? "launch" : "refused",
            Deny: options.Mode == LoadMode.Refused ? options.Deny.ToString().ToLowerInvariant() : null,
            ExpectedRefusal: options.Mode == LoadMode.Refused ? Refusal.ExpectedDetail(options.Deny) : null,
            Platform: string.Join("+", options.Platforms).ToLowerInvariant(),
            Concurrency: options.Concurrency,
            Requested: options.Launches,
            Warmup: options.Warmup,
            DurationCapSeconds: options.Duration.TotalSeconds,
            Channel: options.Channel.ToString().ToLowerInvariant(),
            Target: address,
            InProcess: options.Target is null,
            ServerPid: options.ServerPid,
            Keyset: options.Keyset,
            ImageBytes: imageBytes,
            Pool: options.Mode == LoadMode.Launch ? options.PoolSize : null);
        var outcome = new RunOutcome(
            Succeeded: result.Succeeded,
            Failed: result.Failed,
            Requests: result.Requests,
            ElapsedSeconds: seconds,
            PerSecond: seconds > 0 ? result.Succeeded / seconds : 0,
            StoppedByDuration: result.StoppedByDuration,
            LatenciesMs: result.Latencies,
            Errors: result.Errors);
        return new ResultDocument(CurrentSchema, DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            MachineInfo.Current(client), run, outcome, server, client, sessionsLeft);
    }
}

public sealed record RunOptions(string Mode, string? Deny, string? ExpectedRefusal, string Platform, int Concurrency, int Requested,
    int Warmup, double DurationCapSeconds, string Channel, string Target, bool InProcess, int? ServerPid, string Keyset, int ImageBytes, int? Pool);

/// <summary>Succeeded: operations that ended as expected (launches whose guest got the keys, or requests refused as asked).
/// PerSecond counts those.</summary>
public sealed record RunOutcome(int Succeeded, int Failed, int Requests, double ElapsedSeconds, double PerSecond, bool StoppedByDuration,
    IReadOnlyDictionary<string, LatencySummary> LatenciesMs, IReadOnlyDictionary<string, int> Errors);

public sealed record MachineInfo(int Cores, string Kernel, string Os, string Cpu, string Runtime, string LoadAverageAtStart, string LoadAverageAtEnd)
{
    public static MachineInfo Current(ResourceFigures client) => new(
        Environment.ProcessorCount,
        ReadOr("/proc/sys/kernel/osrelease", RuntimeInformation.OSDescription),
        RuntimeInformation.OSDescription,
        CpuModel(),
        RuntimeInformation.FrameworkDescription,
        client.LoadAverageAtStart,
        client.LoadAverageAtEnd);

    private static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return fallback;
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }
}
