using System.Globalization;
using System.Net;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.LoadTest;

/// <summary>How a client connects: one HTTP/2 connection per worker, one for everybody, or a new one
/// per RPC (what kata does: it runs gop-client once per call).</summary>
public enum ChannelMode { Worker, Shared, Rpc }

/// <summary>The command line. Every run is bounded: a launch count, a time cap, loopback only.</summary>
public sealed class LoadTestOptions
{
    public const int MaxConcurrency = 256;
    public const int MaxLaunches = 100_000;
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1);

    public int Concurrency { get; private set; } = 16;
    public int Launches { get; private set; } = 500;
    public int Warmup { get; private set; } = 16;
    public TimeSpan Duration { get; private set; } = TimeSpan.FromMinutes(5);
    public IReadOnlyList<PlatformKind> Platforms { get; private set; } = [PlatformKind.Csv];
    public int PoolSize { get; private set; }
    public ChannelMode Channel { get; private set; } = ChannelMode.Worker;

    /// <summary>Null: start the server in this process.</summary>
    public string? Server { get; private set; }

    public string? OvmfFile { get; private set; }
    public int ImageSize { get; private set; } = 64 * 1024;
    public string Keyset { get; private set; } = "KEYSET-1";
    public string? KeysFile { get; private set; }
    public string ServerLogLevel { get; private set; } = "Warning";
    public string RepositoryRoot { get; private set; } = "";
    public bool Json { get; private set; }

    public const string Usage = """
        usage: GuestOwnerProxy.LoadTest [--concurrency N] [--launches M] [--platform csv|sev|both] [--duration SECONDS]
                                        [--warmup N] [--pool N] [--channel worker|shared|rpc]
                                        [--server HOST:PORT --ovmf FILE [--keyset ID] [--keys keys.json]]
                                        [--image-size BYTES] [--server-log LEVEL] [--repo DIR] [--json]

        Runs M simulated kata launches, N at a time, over real gRPC h2c: GetLaunchBundle -> LAUNCH_START ->
        LAUNCH_UPDATE_DATA -> LAUNCH_MEASURE -> GetLaunchSecret -> LAUNCH_SECRET, and checks that the guest
        got the keyset's keys. Without --server it starts the real server (ServerHost, Kestrel on
        127.0.0.1:0, Production environment) trusting only the development simulator roots from config/dev.

          --concurrency N     launches in flight (default 16, max 256)
          --launches M        measured launches (default 500, max 100000), after the warm-up
          --warmup N          launches run first and not counted (default 16)
          --duration SECONDS  stop starting launches after this long (default 300, max 3600)
          --platform P        csv (default), sev, or both (workers alternate)
          --pool N            simulated platforms per kind, shared round-robin by the workers
                              (default min(concurrency, 4); creating one takes about a second)
          --channel C         worker (default: one HTTP/2 connection per worker), shared (one for all),
                              rpc (a new connection per RPC, as kata's gop-client process per call)
          --server HOST:PORT  a running server on a loopback address instead of the in-process one; its
                              environment must trust the development roots (dotnet run --project src/GuestOwnerProxy)
          --ovmf FILE         the image the firmware measures; required with --server (its keyset must allow it);
                              in process the default is a random image of --image-size bytes (default 65536)
          --keyset ID         keyset to ask for with --server (default KEYSET-1)
          --keys FILE         keys.json of the --server, to check key values (otherwise: at least one key)
          --server-log LEVEL  in-process server's minimum log level (default Warning: per-launch
                              Information lines would measure the console, not the proxy)
          --repo DIR          repository root holding config/dev (default: found upwards from here)
          --json              also print the report as one JSON object
        """;

    public static LoadTestOptions Parse(string[] args)
    {
        var o = new LoadTestOptions();
        int? pool = null;
        string? repo = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Length)
                    throw new ArgumentException($"{arg} needs a value");
                return args[++i];
            }
            switch (arg)
            {
                case "--concurrency": o.Concurrency = Int(arg, Value(), 1, MaxConcurrency); break;
                case "--launches": o.Launches = Int(arg, Value(), 1, MaxLaunches); break;
                case "--warmup": o.Warmup = Int(arg, Value(), 0, MaxLaunches); break;
                case "--duration": o.Duration = TimeSpan.FromSeconds(Int(arg, Value(), 1, (int)MaxDuration.TotalSeconds)); break;
                case "--pool": pool = Int(arg, Value(), 1, MaxConcurrency); break;
                case "--platform":
                    o.Platforms = Value().ToLowerInvariant() switch
                    {
                        "csv" => [PlatformKind.Csv],
                        "sev" => [PlatformKind.Sev],
                        "both" => [PlatformKind.Csv, PlatformKind.Sev],
                        var other => throw new ArgumentException($"--platform: '{other}' is not csv, sev or both"),
                    };
                    break;
                case "--channel":
                    o.Channel = Value().ToLowerInvariant() switch
                    {
                        "worker" => ChannelMode.Worker,
                        "shared" => ChannelMode.Shared,
                        "rpc" => ChannelMode.Rpc,
                        var other => throw new ArgumentException($"--channel: '{other}' is not worker, shared or rpc"),
                    };
                    break;
                case "--server": o.Server = LoopbackAddress(Value()); break;
                case "--ovmf": o.OvmfFile = Value(); break;
                case "--image-size": o.ImageSize = Int(arg, Value(), 1, 64 * 1024 * 1024); break;
                case "--keyset": o.Keyset = Value(); break;
                case "--keys": o.KeysFile = Value(); break;
                case "--server-log": o.ServerLogLevel = Level(Value()); break;
                case "--repo": repo = Value(); break;
                case "--json": o.Json = true; break;
                default: throw new ArgumentException($"unknown option '{arg}'");
            }
        }
        if (o.Server is not null && o.OvmfFile is null)
            throw new ArgumentException("--server needs --ovmf: the image the server's keyset allows");
        if (o.Server is null && o.KeysFile is not null)
            throw new ArgumentException("--keys only applies with --server (the in-process server's keys are generated)");
        if (o.OvmfFile is not null && !File.Exists(o.OvmfFile))
            throw new ArgumentException($"--ovmf: '{o.OvmfFile}' does not exist");
        o.PoolSize = pool ?? Math.Min(o.Concurrency, 4);
        o.RepositoryRoot = repo ?? FindRepositoryRoot();
        return o;
    }

    private static int Int(string option, string text, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new ArgumentException($"{option}: '{text}' is not a number in {min}..{max}");
        return value;
    }

    private static string Level(string text) => text.ToLowerInvariant() switch
    {
        "verbose" => "Verbose", "debug" => "Debug", "information" or "info" => "Information",
        "warning" or "warn" => "Warning", "error" => "Error", "fatal" => "Fatal",
        _ => throw new ArgumentException($"--server-log: '{text}' is not a Serilog level"),
    };

    /// <summary>The load generator must never be pointed at somebody else's machine.</summary>
    private static string LoopbackAddress(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"--server: '{text}' is not HOST:PORT");
        string host = text[..colon].Trim('[', ']');
        bool loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback)
            throw new ArgumentException($"--server: '{host}' is not a loopback address (localhost, 127.0.0.0/8, ::1); the load test only runs locally");
        return text;
    }

    private static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GuestOwnerProxy.sln")) && Directory.Exists(Path.Combine(dir.FullName, "config", "dev")))
                    return dir.FullName;
            }
        }
        throw new ArgumentException("repository root with config/dev not found above the working directory (use --repo DIR)");
    }
}
