using System.Globalization;
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

if (options.PrepareServer is { } prepareDir)
{
    try
    {
        Directory.CreateDirectory(prepareDir);
        var setup = ServerSetup.Write(Path.GetFullPath(prepareDir), options.RepositoryRoot, options.Keyset, options.OvmfFile, options.ImageSize);
        setup.WriteArguments();
        setup.WritePlatformFiles();
        Console.WriteLine($"server configuration in {setup.Directory}: {ServerSetup.ImageFile}, {ServerSetup.KeysetsFile} (keyset {options.Keyset}), {ServerSetup.KeysFile}, {ServerSetup.ArgumentsFile}; the simulated hosts' sev/ and csv/ pdh.cert and cert_chain.cert");
        Console.WriteLine($"  settings beside the production defaults: {string.Join("; ", ServerSetup.DeparturesFromDefaults)}");
        Console.WriteLine($"  start: mapfile -t args < {Path.Combine(setup.Directory, ServerSetup.ArgumentsFile)}; gop serve --environment Production -p PORT \"${{args[@]}}\"");
        Console.WriteLine($"  drive: --target 127.0.0.1:PORT --server-pid PID --ovmf {setup.ImagePath} --keys {Path.Combine(setup.Directory, ServerSetup.KeysFile)} --keyset {options.Keyset}");
        return 0;
    }
    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"error: --prepare-server: {ex.Message}");
        return 2;
    }
}

PlatformPool? pool = null;
if (options.Mode == LoadMode.Launch)
{
    pool = await PlatformPool.CreateAsync(options.Platforms, options.PoolSize);
    Console.WriteLine($"platforms: {options.PoolSize} per kind ({string.Join(", ", options.Platforms)}) created in {pool.CreationTime.TotalSeconds:F1} s");
}

InProcessServer? server = null;
try
{
    string address;
    LaunchExpectation expectation;
    byte[] image = [];
    if (options.Target is null)
    {
        server = await InProcessServer.StartAsync(options);
        address = server.Address;
        expectation = server.Expectation;
        image = File.ReadAllBytes(Path.Combine(server.Directory, ServerSetup.ImageFile));
        foreach (var kind in pool is null ? [] : options.Platforms)
        {
            string fingerprint = pool!.RootFingerprint(kind);
            if (!server.RootFingerprints.Contains(fingerprint))
                throw new InvalidOperationException($"the development {kind} root {fingerprint} is not in config/dev (regenerate it, see config/README.md)");
        }
        Console.WriteLine($"server:    in process, {address} (Production environment, development roots trusted, log level {options.ServerLogLevel}); sessions in {options.Store}{(options.Redis is null ? "" : " at " + options.Redis)}");
        if (options.Mode == LoadMode.Store)
            return await StoreProbe.RunAsync(server, options);
    }
    else
    {
        address = "http://" + options.Target;
        expectation = LaunchExpectation.FromKeysFile(options.Keyset, options.KeysFile);
        if (options.Mode == LoadMode.Launch)
            image = File.ReadAllBytes(options.OvmfFile!);
        Console.WriteLine($"server:    {address} (running separately){(options.ServerPid is { } p ? ServerCheck.Describe(p, options.TargetPort!.Value) : "; its CPU is not counted (no --server-pid)")}");
    }
    if (options.Mode == LoadMode.Launch)
        Console.WriteLine($"image:     {image.Length} bytes measured per launch; keyset {expectation.Keyset}");
    else
        Console.WriteLine($"refusals:  GetLaunchSecret {(options.Deny == RefusalKind.Keyset ? $"for the unknown keyset '{Refusal.UnknownKeyset}'" : $"for keyset {expectation.Keyset} with the unknown connection id {Refusal.UnknownConnectionId}")}, each must be refused INVALID_ARGUMENT \"{Refusal.ExpectedDetail(options.Deny)}\"");

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
    using var serverMonitor = options.ServerPid is { } pid ? ServerProcessMonitor.Start(pid) : null;
    var result = await runner.RunAsync(options.Launches, options.Duration);
    var serverFigures = serverMonitor?.Stop(result.Succeeded, result.Requests);
    var resources = monitor.Stop(result.Elapsed);
    long? storeOperations = server?.StoreOperations - operationsBefore;
    int? sessionsLeft = server is null ? null : await server.LiveSessionsAsync();
    if (storeOperations is { } operations && result.Succeeded > 0)
        Console.WriteLine($"redis:     {operations} commands in the measured phase = {(double)operations / result.Succeeded:F1} per launch");

    Report.Print(options, address, result, resources, serverFigures, sessionsLeft);
    var document = ResultDocument.Of(options, address, result, serverFigures, resources, sessionsLeft, image.Length);
    if (options.Json)
        Console.WriteLine(document.ToJson());
    if (options.JsonOut is { } jsonOut)
    {
        File.WriteAllText(jsonOut, document.ToJson() + "\n");
        Console.WriteLine($"json:      {jsonOut}");
    }
    return result.Failed == 0 && result.Succeeded > 0 ? 0 : 1;
}
catch (Exception ex) when (ex is IOException or InvalidOperationException or ArgumentException or CryptoFormatException or ServerProcessException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
finally
{
    if (server is not null)
        await server.DisposeAsync();
}

/// <summary>Before measuring: the --server-pid must be the process that listens on the --target's port, or its CPU is not the server's.</summary>
internal static class ServerCheck
{
    public static string Describe(int pid, int port)
    {
        var proc = new ProcReader(pid);
        try
        {
            proc.Times();
        }
        catch (ServerProcessException ex)
        {
            throw new ServerProcessException($"--server-pid: {ex.Message}");
        }
        string name = proc.Name();
        return proc.ListensOn(port) switch
        {
            true => $"; server process {pid} ({name}) listens on port {port}",
            false => throw new ServerProcessException($"--server-pid: process {pid} ({name}) does not listen on port {port}, the --target's: its CPU would not be the server's"),
            null => $"; server process {pid} ({name}): WARNING its descriptors are not readable, so whether it listens on port {port} is not checked",
        };
    }
}

internal static class Report
{
    public static void Print(LoadTestOptions options, string address, PhaseResult result, ResourceFigures r, ServerFigures? server, int? sessionsLeft)
    {
        double seconds = result.Elapsed.TotalSeconds;
        bool launches = options.Mode == LoadMode.Launch;
        string unit = launches ? "launch" : "refusal";
        Console.WriteLine();
        Console.WriteLine($"mode {(launches ? "launch" : $"refused ({options.Deny.ToString().ToLowerInvariant()})")}, platform {string.Join("+", options.Platforms).ToLowerInvariant()}, concurrency {options.Concurrency}, channel {options.Channel.ToString().ToLowerInvariant()}"
            + (launches ? $", pool {options.PoolSize}/kind" : "") + $", {address}");
        Console.WriteLine(launches
            ? $"launches:  {result.Succeeded} ok, {result.Failed} failed in {seconds:F2} s = {result.Succeeded / seconds:F1} launches/s"
            : $"refusals:  {result.Succeeded} refused as expected, {result.Failed} otherwise in {seconds:F2} s = {result.Succeeded / seconds:F1} requests/s");
        if (result.StoppedByDuration)
            Console.WriteLine($"           stopped by the {options.Duration.TotalSeconds:F0} s cap");
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
        Console.WriteLine($"gc:        allocated {r.AllocatedBytes / MiB:F0} MiB ({(result.Succeeded > 0 ? r.AllocatedBytes / 1024.0 / result.Succeeded : 0):F0} KiB/{unit} in this process), collections gen0 {r.Gen0} gen1 {r.Gen1} gen2 {r.Gen2}, pauses {r.GcPause.TotalMilliseconds:F0} ms");
        Console.WriteLine($"cpu:       {r.CpuTime.TotalSeconds:F1} s process CPU = {r.CoresUsed:F2} of {Environment.ProcessorCount} cores (this process: client and simulator, plus the server when in process)");
        if (server is not null)
        {
            const double KiBPerMiB = 1024;
            Console.WriteLine($"server:    pid {server.Pid} ({server.Name}): {server.CpuMs:F0} ms CPU (user {server.UserCpuMs:F0}, system {server.SystemCpuMs:F0}; "
                + $"{server.ClockTicksPerSecond} ticks/s = {server.CpuResolutionMs:F0} ms resolution) = {server.CpuMs / 1000 / seconds:F2} cores");
            Console.WriteLine($"           {Format(server.CpuMsPerOperation)} ms CPU per {unit}, {Format(server.CpuMsPerRequest)} ms per request ({result.Requests} requests)");
            Console.WriteLine($"           RSS {server.RssStartKiB / KiBPerMiB:F1} MiB at start, peak {server.RssPeakKiB / KiBPerMiB:F1} MiB ({server.Samples} samples), {server.RssEndKiB / KiBPerMiB:F1} MiB at end; "
                + $"VmHWM {server.HwmKiB / KiBPerMiB:F1} MiB (since the process started); {server.Threads} threads");
        }
        Console.WriteLine($"load avg:  {r.LoadAverageAtStart} at start, {r.LoadAverageAtEnd} at end (1/5/15 min)");
        if (sessionsLeft is { } left)
            Console.WriteLine($"sessions:  {left} left on the server (0 expected: every launch ended with a secret)");
    }

    private static string Format(double? value) => value is { } v ? v.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) : "-";

    public static void PrintErrors(IReadOnlyDictionary<string, int> errors)
    {
        foreach (var (error, count) in errors.OrderByDescending(e => e.Value).Take(10))
            Console.WriteLine($"  error x{count}: {error}");
    }
}
