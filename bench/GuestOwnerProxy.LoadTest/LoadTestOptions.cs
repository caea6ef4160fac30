using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.LoadTest;

/// <summary>How a client connects: one HTTP/2 connection per worker, one for everybody, or a new one
/// per RPC (what kata does: it runs gop-client once per call).</summary>
public enum ChannelMode { Worker, Shared, Rpc }

/// <summary>What each operation is: a whole kata launch, or a request the target refuses cheaply without a session.</summary>
public enum LoadMode { Launch, Refused, Store }

/// <summary>Which cheap refusal <see cref="LoadMode.Refused"/> asks for (<see cref="Refusal"/> has the requests).</summary>
public enum RefusalKind { Keyset, Connection }

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

    public LoadMode Mode { get; private set; } = LoadMode.Launch;
    public RefusalKind Deny { get; private set; } = RefusalKind.Keyset;

    /// <summary>A running server (HOST:PORT, loopback); null: start the server in this process.</summary>
    public string? Target { get; private set; }

    /// <summary>The port of <see cref="Target"/> (validated with it).</summary>
    public int? TargetPort => Target is null ? null : int.Parse(Target.AsSpan(Target.LastIndexOf(':') + 1), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>The --target server's process, whose CPU and memory are sampled from /proc over the measured window.</summary>
    public int? ServerPid { get; private set; }

    /// <summary>Where to write the JSON result (null: nowhere; <see cref="Json"/> prints it).</summary>
    public string? JsonOut { get; private set; }

    /// <summary>Write the server's files and settings here for a separate <c>gop serve</c>, and exit.</summary>
    public string? PrepareServer { get; private set; }

    public string? OvmfFile { get; private set; }
    public int ImageSize { get; private set; } = 64 * 1024;
    public string Keyset { get; private set; } = "KEYSET-1";
    public string? KeysFile { get; private set; }
    public string ServerLogLevel { get; private set; } = "Warning";
    public string RepositoryRoot { get; private set; } = "";
    public bool Json { get; private set; }
    /// <summary>The in-process server's session store: memory (default) or redis, on <see cref="Redis"/>.</summary>
    public string Store { get; private set; } = "memory";
    public string? Redis { get; private set; }

    public const string Usage = """
        usage: GuestOwnerProxy.LoadTest [--mode launch|refused|store [--deny keyset|connection]]
                                        [--concurrency N] [--launches M] [--platform csv|sev|both] [--duration SECONDS]
                                        [--warmup N] [--pool N] [--channel worker|shared|rpc]
                                        [--target HOST:PORT [--server-pid PID] [--ovmf FILE] [--keyset ID] [--keys keys.json]]
                                        [--image-size BYTES] [--server-log LEVEL] [--repo DIR] [--json] [--json-out FILE]
                                        [--store memory|redis [--redis HOST:PORT]]
               GuestOwnerProxy.LoadTest --prepare-server DIR [--keyset ID] [--ovmf FILE | --image-size BYTES] [--repo DIR]

        Runs M simulated kata launches, N at a time, over real gRPC h2c: GetLaunchBundle -> LAUNCH_START ->
        LAUNCH_UPDATE_DATA -> LAUNCH_MEASURE -> GetLaunchSecret -> LAUNCH_SECRET, and checks that the guest
        got the keyset's keys. Without --target it starts the real server (ServerHost, Kestrel on
        127.0.0.1:0, Production environment) trusting only the development simulator roots from config/dev.
        With --target it drives any running server of the package-less Setup service (this proxy or another
        one) and uses nothing of it beyond that protocol; --server-pid then counts that process's CPU and memory.

          --mode M            launch (default: the whole kata sequence) or refused: GetLaunchSecret requests the
                              target refuses cheaply and without a session, each checked for its refusal; or
                              store: the in-process server's session store alone, one launch at a time (add,
                              take, release; no gRPC, no crypto), with --store redis beside three bare PINGs
                              through the store's connection, the reference, in the same run
          --deny R            with --mode refused: keyset (default: an unknown KeysetId -> KEYSET INVALID, the
                              first check of the original server) or connection (a known --keyset, policy 0,
                              the platform's firmware version, an unknown ConnectionId -> CONNECTION ID INVALID)
          --concurrency N     launches (or refused requests) in flight (default 16, max 256)
          --launches M        measured launches (default 500, max 100000), after the warm-up
          --warmup N          launches run first and not counted (default 16)
          --duration SECONDS  stop starting launches after this long (default 300, max 3600)
          --platform P        csv (default), sev, or both (workers alternate)
          --pool N            simulated platforms per kind, shared round-robin by the workers
                              (default min(concurrency, 4); creating one takes about a second)
          --channel C         worker (default: one HTTP/2 connection per worker), shared (one for all),
                              rpc (a new connection per RPC, as kata's gop-client process per call)
          --target HOST:PORT  a running server on a loopback address instead of the in-process one (alias:
                              --server); for launches it must trust the development simulator roots and its keyset
                              must allow the --ovmf image (--prepare-server writes such a configuration)
          --server-pid PID    the --target's process: its CPU (utime+stime of /proc/PID/stat) and memory (VmRSS,
                              VmHWM of /proc/PID/status) over the measured window, per launch and per request
          --ovmf FILE         the image the firmware measures; required for launches with --target;
                              in process the default is a random image of --image-size bytes (default 65536)
          --keyset ID         keyset to ask for (default KEYSET-1)
          --keys FILE         keys.json of the --target, to check key values (otherwise: at least one key)
          --server-log LEVEL  in-process server's minimum log level (default Warning: per-launch
                              Information lines would measure the console, not the proxy)
          --repo DIR          repository root holding config/dev (default: found upwards from here)
          --json              also print the result as one JSON object on stdout
          --json-out FILE     write the result as one JSON object to FILE (options, per-step p50/p90/p99/max,
                              throughput, server CPU and RSS, the machine)
          --prepare-server DIR  write the in-process server's configuration for a separate `gop serve`: the image,
                              keysets.json, keys.json (owner-only) and serve.args (one --Section:Key=value argument
                              per line: trust of the development roots, per-client limits off, audit log in DIR),
                              and the simulated hosts' sev/ and csv/ pdh.cert and cert_chain.cert for other clients
          --store S           the in-process server's session store: memory (default) or redis (sealed
                              sessions in a running redis-server; the report adds Redis operations per launch)
          --redis HOST:PORT   the loopback redis-server for --store redis (default 127.0.0.1:6379)
        """;

    /// <summary>The options on System.CommandLine, with the names of the usage above. Values are checked by
    /// <see cref="Parse"/> so every error keeps naming its option.</summary>
    private sealed class Symbols
    {
        public readonly Option<string> Concurrency = new("--concurrency");
        public readonly Option<string> Launches = new("--launches");
        public readonly Option<string> Warmup = new("--warmup");
        public readonly Option<string> Duration = new("--duration");
        public readonly Option<string> Pool = new("--pool");
        public readonly Option<string> Platform = new("--platform");
        public readonly Option<string> Channel = new("--channel");
        public readonly Option<string> Mode = new("--mode");
        public readonly Option<string> Deny = new("--deny");
        public readonly Option<string> Target = new("--target", "--server");
        public readonly Option<string> ServerPid = new("--server-pid");
        public readonly Option<string> JsonOut = new("--json-out");
        public readonly Option<string> PrepareServer = new("--prepare-server");
        public readonly Option<string> Ovmf = new("--ovmf");
        public readonly Option<string> ImageSize = new("--image-size");
        public readonly Option<string> Keyset = new("--keyset");
        public readonly Option<string> Keys = new("--keys");
        public readonly Option<string> ServerLog = new("--server-log");
        public readonly Option<string> Repo = new("--repo");
        public readonly Option<bool> Json = new("--json");
        public readonly Option<string> Store = new("--store");
        public readonly Option<string> Redis = new("--redis");

        public Command Command()
        {
            // Help is the Usage text (Program prints it), so the library's help and version options are left out.
            var command = new Command("GuestOwnerProxy.LoadTest");
            foreach (var option in new Option[] { Mode, Deny, Concurrency, Launches, Warmup, Duration, Pool, Platform, Channel, Target, ServerPid, JsonOut, PrepareServer, Ovmf, ImageSize, Keyset, Keys, ServerLog, Repo, Json, Store, Redis })
                command.Options.Add(option);
            return command;
        }
    }

    public static LoadTestOptions Parse(string[] args)
    {
        var s = new Symbols();
        var parsed = s.Command().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.UnmatchedTokens.Count > 0)
            throw new ArgumentException($"unknown option '{parsed.UnmatchedTokens[0]}'");
        if (parsed.Errors.Count > 0)
        {
            var error = parsed.Errors[0];
            throw new ArgumentException(error.SymbolResult is OptionResult { Tokens.Count: 0, IdentifierToken: { } given }
                ? $"{given.Value} needs a value"
                : error.Message);
        }

        var o = new LoadTestOptions();
        int IntOf(Option<string> option, int current, int min, int max) =>
            parsed.GetValue(option) is { } text ? Int(option.Name, text, min, max) : current;
        o.Concurrency = IntOf(s.Concurrency, o.Concurrency, 1, MaxConcurrency);
        o.Launches = IntOf(s.Launches, o.Launches, 1, MaxLaunches);
        o.Warmup = IntOf(s.Warmup, o.Warmup, 0, MaxLaunches);
        o.Duration = TimeSpan.FromSeconds(IntOf(s.Duration, (int)o.Duration.TotalSeconds, 1, (int)MaxDuration.TotalSeconds));
        int? pool = parsed.GetValue(s.Pool) is { } poolText ? Int(s.Pool.Name, poolText, 1, MaxConcurrency) : null;
        if (parsed.GetValue(s.Platform) is { } platform)
            o.Platforms = platform.ToLowerInvariant() switch
            {
                "csv" => [PlatformKind.Csv],
                "sev" => [PlatformKind.Sev],
                "both" => [PlatformKind.Csv, PlatformKind.Sev],
                var other => throw new ArgumentException($"--platform: '{other}' is not csv, sev or both"),
            };
        if (parsed.GetValue(s.Channel) is { } channel)
            o.Channel = channel.ToLowerInvariant() switch
            {
                "worker" => ChannelMode.Worker,
                "shared" => ChannelMode.Shared,
                "rpc" => ChannelMode.Rpc,
                var other => throw new ArgumentException($"--channel: '{other}' is not worker, shared or rpc"),
            };
        if (parsed.GetValue(s.Mode) is { } mode)
            o.Mode = mode.ToLowerInvariant() switch
            {
                "launch" => LoadMode.Launch,
                "refused" => LoadMode.Refused,
                "store" => LoadMode.Store,
                var other => throw new ArgumentException($"--mode: '{other}' is not launch, refused or store"),
            };
        if (parsed.GetValue(s.Deny) is { } deny)
        {
            if (o.Mode != LoadMode.Refused)
                throw new ArgumentException("--deny only applies with --mode refused");
            o.Deny = deny.ToLowerInvariant() switch
            {
                "keyset" => RefusalKind.Keyset,
                "connection" => RefusalKind.Connection,
                var other => throw new ArgumentException($"--deny: '{other}' is not keyset or connection"),
            };
        }
        if (parsed.GetValue(s.Target) is { } target)
            o.Target = LoopbackAddress(s.Target.Name, target);
        if (parsed.GetValue(s.ServerPid) is { } pid)
        {
            if (o.Target is null)
                throw new ArgumentException("--server-pid applies with --target (in process, the server's CPU is this process's)");
            o.ServerPid = Int(s.ServerPid.Name, pid, 1, int.MaxValue);
        }
        if (parsed.GetValue(s.JsonOut) is { } jsonOut)
        {
            if (jsonOut.Length == 0 || Directory.Exists(jsonOut))
                throw new ArgumentException($"--json-out: '{jsonOut}' is not a file name");
            string? folder = Path.GetDirectoryName(Path.GetFullPath(jsonOut));
            if (folder is not null && !Directory.Exists(folder))
                throw new ArgumentException($"--json-out: folder '{folder}' does not exist");
            o.JsonOut = jsonOut;
        }
        o.PrepareServer = parsed.GetValue(s.PrepareServer);
        if (o.PrepareServer is { } prepare && (prepare.Length == 0 || File.Exists(prepare)))
            throw new ArgumentException($"--prepare-server: '{prepare}' is not a folder name");
        o.OvmfFile = parsed.GetValue(s.Ovmf);
        o.ImageSize = IntOf(s.ImageSize, o.ImageSize, 1, 64 * 1024 * 1024);
        o.Keyset = parsed.GetValue(s.Keyset) ?? o.Keyset;
        o.KeysFile = parsed.GetValue(s.Keys);
        if (parsed.GetValue(s.ServerLog) is { } level)
            o.ServerLogLevel = Level(level);
        string? repo = parsed.GetValue(s.Repo);
        o.Json = parsed.GetValue(s.Json);
        if (parsed.GetValue(s.Store) is { } store)
            o.Store = store.ToLowerInvariant() is "memory" or "redis" ? store.ToLowerInvariant() : throw new ArgumentException($"--store: '{store}' is not memory or redis");
        if (parsed.GetValue(s.Redis) is { } redis)
        {
            if (o.Store != "redis")
                throw new ArgumentException("--redis only applies with --store redis");
            o.Redis = LoopbackAddress(s.Redis.Name, redis);
        }
        if (o.Store == "redis")
        {
            o.Redis ??= "127.0.0.1:6379";
            if (o.Target is not null)
                throw new ArgumentException("--store applies to the in-process server; a --target chooses its own store");
        }

        if (o.Mode == LoadMode.Store && o.Target is not null)
            throw new ArgumentException("--mode store measures the in-process server's session store; it takes no --target");
        if (o.Mode == LoadMode.Store && (o.Json || o.JsonOut is not null))
            throw new ArgumentException("--mode store prints its figures only; --json and --json-out apply to launches and refusals");
        if (o.Target is not null && o.OvmfFile is null && o.Mode == LoadMode.Launch && o.PrepareServer is null)
            throw new ArgumentException("--target needs --ovmf for launches: the image the server's keyset allows");
        if (o.Target is null && o.KeysFile is not null)
            throw new ArgumentException("--keys only applies with --target (the in-process server's keys are generated)");
        if (o.PrepareServer is not null && o.Target is not null)
            throw new ArgumentException("--prepare-server writes a configuration and exits; it takes no --target");
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
    private static string LoopbackAddress(string option, string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"{option}: '{text}' is not HOST:PORT");
        string host = text[..colon].Trim('[', ']');
        bool loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback)
            throw new ArgumentException($"{option}: '{host}' is not a loopback address (localhost, 127.0.0.0/8, ::1); the load test only runs locally");
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
