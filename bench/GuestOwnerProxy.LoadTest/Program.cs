using System.Globalization;
using System.Text.Json;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.LoadTest;

// Load test: dotnet run -c Release --project bench/GuestOwnerProxy.LoadTest -- --platform csv --concurrency 8 --launches 500
// Figures and the exact commands: docs/load-test.md.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

LoadTestOptions options;
try
{
    if (args.Any(a => a is "-h" or "--help"))
    {
        Console.WriteLine(LoadTestOptions.Usage);
        return 0;
    }
    options = LoadTestOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine(LoadTestOptions.Usage);
    return 2;
}

var pool = await PlatformPool.CreateAsync(options.Platforms, options.PoolSize);
Console.WriteLine($"platforms: {options.PoolSize} per kind ({string.Join(", ", options.Platforms)}) created in {pool.CreationTime.TotalSeconds:F1} s");

InProcessServer? server = null;
try
{
    string address;
    LaunchExpectation expectation;
    byte[] image;
    if (options.Server is null)
    {
        server = await InProcessServer.StartAsync(options);
        address = server.Address;
        expectation = server.Expectation;
        image = File.ReadAllBytes(Path.Combine(server.Directory, "ovmf.fd"));
        foreach (var kind in options.Platforms)
        {
            string fingerprint = pool.RootFingerprint(kind);
            if (!server.RootFingerprints.Contains(fingerprint))
                throw new InvalidOperationException($"the development {kind} root {fingerprint} is not in config/dev (regenerate it, see config/README.md)");
        }
        Console.WriteLine($"server:    in process, {address} (Production environment, development roots trusted, log level {options.ServerLogLevel}); sessions in {options.Store}{(options.Redis is null ? "" : " at " + options.Redis)}");
    }
    else
    {
        address = "http://" + options.Server;
        expectation = LaunchExpectation.FromKeysFile(options.Keyset, options.KeysFile);
        image = File.ReadAllBytes(options.OvmfFile!);
        Console.WriteLine($"server:    {address} (running separately)");
    }
    Console.WriteLine($"image:     {image.Length} bytes measured per launch; keyset {expectation.Keyset}");

    using var runner = new LoadRunner(options, pool, expectation, image, address);
    if (options.Warmup > 0)
    {
        var warm = await runner.RunAsync(options.Warmup, options.Duration);
        Console.WriteLine($"warm-up:   {warm.Succeeded} ok, {warm.Failed} failed in {warm.Elapsed.TotalSeconds:F1} s");
        Report.PrintErrors(warm.Errors);
    }

    // Collect the warm-up's garbage so the memory figures belong to the measured phase.
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    long? operationsBefore = server?.StoreOperations;
    using var monitor = new ResourceMonitor();
    var result = await runner.RunAsync(options.Launches, options.Duration);
    var resources = monitor.Stop(result.Elapsed);
    long? storeOperations = server?.StoreOperations - operationsBefore;
    int? sessionsLeft = server is null ? null : await server.LiveSessionsAsync();
    if (storeOperations is { } operations && result.Succeeded > 0)
        Console.WriteLine($"redis:     {operations} commands in the measured phase = {(double)operations / result.Succeeded:F1} per launch");

    Report.Print(options, address, result, resources, sessionsLeft);
    if (options.Json)
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            platform = string.Join("+", options.Platforms).ToLowerInvariant(),
            options.Concurrency,
            requested = options.Launches,
            result.Succeeded,
            result.Failed,
            elapsedSeconds = result.Elapsed.TotalSeconds,
            launchesPerSecond = result.Succeeded / result.Elapsed.TotalSeconds,
            latenciesMs = result.Latencies,
            errors = result.Errors,
            resources,
            sessionsLeft,
        }));
    return result.Failed == 0 && result.Succeeded > 0 ? 0 : 1;
}
catch (Exception ex) when (ex is IOException or InvalidOperationException or ArgumentException or CryptoFormatException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
finally
{
    if (server is not null)
        await server.DisposeAsync();
}

internal static class Report
{
    public static void Print(LoadTestOptions options, string address, PhaseResult result, ResourceFigures r, int? sessionsLeft)
    {
        double seconds = result.Elapsed.TotalSeconds;
        Console.WriteLine();
        Console.WriteLine($"platform {string.Join("+", options.Platforms).ToLowerInvariant()}, concurrency {options.Concurrency}, channel {options.Channel.ToString().ToLowerInvariant()}, pool {options.PoolSize}/kind, {address}");
        Console.WriteLine($"launches:  {result.Succeeded} ok, {result.Failed} failed in {seconds:F2} s = {result.Succeeded / seconds:F1} launches/s"
            + (result.StoppedByDuration ? $" (stopped by the {options.Duration.TotalSeconds:F0} s cap)" : ""));
        Console.WriteLine();
        Console.WriteLine($"{"step",-28}{"count",7}{"p50 ms",10}{"p90 ms",10}{"p99 ms",10}{"max ms",10}{"mean ms",10}");
        foreach (var (step, s) in result.Latencies)
            Console.WriteLine($"{step,-28}{s.Count,7}{s.P50,10:F2}{s.P90,10:F2}{s.P99,10:F2}{s.Max,10:F2}{s.Mean,10:F2}");
        Console.WriteLine();
        if (result.Errors.Count == 0)
            Console.WriteLine("errors:    none");
        else
        {
            Console.WriteLine($"errors:    {result.Failed}");
            PrintErrors(result.Errors);
        }
        const double MiB = 1024 * 1024;
        Console.WriteLine($"memory:    GC heap {r.GcHeapBytes / MiB:F1} MiB (committed {r.GcCommittedBytes / MiB:F1} MiB), working set {r.WorkingSetBytes / MiB:F1} MiB (peak {r.PeakWorkingSetBytes / MiB:F1} MiB); {(r.ServerGc ? "server" : "workstation")} GC");
        Console.WriteLine($"gc:        allocated {r.AllocatedBytes / MiB:F0} MiB ({(result.Succeeded > 0 ? r.AllocatedBytes / 1024.0 / result.Succeeded : 0):F0} KiB/launch in this process), collections gen0 {r.Gen0} gen1 {r.Gen1} gen2 {r.Gen2}, pauses {r.GcPause.TotalMilliseconds:F0} ms");
        Console.WriteLine($"cpu:       {r.CpuTime.TotalSeconds:F1} s process CPU = {r.CoresUsed:F2} of {Environment.ProcessorCount} cores (this process: client and simulator, plus the server when in process)");
        Console.WriteLine($"load avg:  {r.LoadAverageAtStart} at start, {r.LoadAverageAtEnd} at end (1/5/15 min)");
        if (sessionsLeft is { } left)
            Console.WriteLine($"sessions:  {left} left on the server (0 expected: every launch ended with a secret)");
    }

    public static void PrintErrors(IReadOnlyDictionary<string, int> errors)
    {
        foreach (var (error, count) in errors.OrderByDescending(e => e.Value).Take(10))
            Console.WriteLine($"  error x{count}: {error}");
    }
}
