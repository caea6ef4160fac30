using System.Diagnostics;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Sessions.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace GuestOwnerProxy.LoadTest;

/// <summary>
/// <c>--mode store</c>: what the session store itself costs a launch, apart from gRPC, crypto and the scheduling of a
/// whole request. One launch at a time, as the store sees it: a session added (bundle), taken (secret) and released.
/// With Redis, the same number of triples of bare PINGs through the store's own connection follows each pass: the cost
/// of three round trips through StackExchange.Redis alone, in the same run. Process CPU (all threads, GC included) and
/// wall time per launch; repetitions alternate, so drift hits both alike.
/// </summary>
internal static class StoreProbe
{
    private const int Repetitions = 3;

    // Session-shaped values of a real SEV launch's sizes (GODH certificate, session blob, PDH, chain): the store seals and
    // moves these bytes, so their size matters; their content does not.
    private static LaunchSession NewLaunch() =>
        new(PlatformKind.Sev, new byte[2084], new byte[772], 0x1, new byte[16], new byte[16]);

    private static readonly PlatformIdentity Identity = new(PlatformKind.Sev, "chip", "root", ChainVerified: true, "trust",
        new PlatformEvidence(new byte[1540], new byte[4616]));

    public static async Task<int> RunAsync(InProcessServer server, LoadTestOptions options)
    {
        var store = server.App.Services.GetRequiredService<ISessionStore>();
        var redis = store as RedisSessionStore;
        int n = options.Launches;
        Console.WriteLine($"store:     {n} launches, one at a time, {Repetitions} repetitions ({(redis is null ? "memory" : "redis at " + options.Redis)}), after {options.Warmup} not counted");

        await Cycles(store, options.Warmup);
        if (redis is not null)
            await Pings(redis, options.Warmup);
        var cycles = new List<(double Cpu, double Wall)>();
        var pings = new List<(double Cpu, double Wall)>();
        for (int rep = 0; rep < Repetitions; rep++)
        {
            cycles.Add(await Measure(n, () => Cycles(store, n)));
            if (redis is not null)
                pings.Add(await Measure(n, () => Pings(redis, n)));
        }
        Print("add + take + release", cycles);
        if (redis is not null)
        {
            Print("3 bare PINGs (reference)", pings);
            Console.WriteLine($"redis:     {redis.Operations} round trips sent by the store in all (pings and warm-up included)");
        }
        int left = await store.CountAsync();
        Console.WriteLine($"sessions:  {left} left live");
        return left == 0 ? 0 : 1;
    }

    private static async Task Cycles(ISessionStore store, int n)
    {
        for (int i = 0; i < n; i++)
        {
            var session = await store.AddAsync(NewLaunch(), Identity, "ipv4:127.0.0.1:1", "store-probe");
            await using var lease = await store.TryAcquireAsync(SessionHandle.ForConnection(session.ConnectionId))
                ?? throw new InvalidOperationException($"session {session.ConnectionId} was added but cannot be taken");
            await lease.CompleteAsync();
        }
    }

    private static async Task Pings(RedisSessionStore redis, int n)
    {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 3; j++)
                if (await redis.ProblemAsync() is { } problem)
                    throw new InvalidOperationException($"Redis: {problem}");
    }

    private static async Task<(double Cpu, double Wall)> Measure(int n, Func<Task> run)
    {
        GC.Collect();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await run();
        wall.Stop();
        process.Refresh();
        return ((process.TotalProcessorTime - cpu).TotalMilliseconds / n, wall.Elapsed.TotalMilliseconds / n);
    }

    private static void Print(string what, List<(double Cpu, double Wall)> runs) =>
        Console.WriteLine($"{what,-24} CPU ms/launch {string.Join(" / ", runs.Select(r => r.Cpu.ToString("F3")))}, " +
            $"wall ms/launch {string.Join(" / ", runs.Select(r => r.Wall.ToString("F3")))} (median CPU {Median(runs.Select(r => r.Cpu)):F3})");

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
