using System.Diagnostics;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Benchmarks;

/// <summary>
/// Per-operation process CPU time (user + system, GC and all threads included) for the per-launch
/// operations. BenchmarkDotNet measures wall-clock time, which on a shared, overloaded machine mostly
/// measures the other tenants; <c>openssl speed</c> divides by user CPU time by default. This report
/// puts both on the same footing. Run: <c>dotnet run -c Release --project bench/GuestOwnerProxy.Benchmarks -- --cpu-time</c>.
/// </summary>
internal static class CpuTimeReport
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    public static void Run()
    {
        Console.WriteLine($"| operation | iterations | CPU ms/op | wall ms/op | CPU share |");
        Console.WriteLine("|---|---:|---:|---:|---:|");

        foreach (var kind in new[] { PlatformKind.Csv, PlatformKind.Sev })
        {
            var session = new SessionBenchmarks { Platform = kind };
            session.Setup();
            Measure($"{kind} CreateSession", () => session.CreateSession());
        }
        foreach (var chain in new[] { "csv", "sev-rsa2048", "sev-rsa4096" })
        {
            var verify = new ChainVerificationBenchmarks { Chain = chain };
            verify.Setup();
            Measure($"{chain} VerifyChain", () => verify.VerifyChain());
        }
        foreach (var kind in new[] { PlatformKind.Csv, PlatformKind.Sev })
        {
            var launch = new PerLaunchBenchmarks { Platform = kind };
            launch.Setup();
            Measure($"{kind} guest owner per launch", () => launch.GuestOwnerPerLaunch());
            Measure($"{kind} simulated firmware LAUNCH_START", () => launch.FirmwareLaunchStart());
        }
        var p = new PrimitiveBenchmarks();
        p.Setup();
        Measure("SM2 key generation", () => p.Sm2KeyGeneration());
        Measure("SM2 sign", () => p.Sm2Sign());
        Measure("SM2 verify", () => p.Sm2Verify());
        Measure("SM2 verify, fresh key object", () => p.Sm2VerifyFreshKey());
        Measure("SM2 encrypt 32 bytes", () => p.Sm2Encrypt());
        Measure("SM2 encrypt 32 bytes, fresh key object", () => p.Sm2EncryptFreshKey());
        Measure("P-384 key generation", () => p.P384KeyGeneration());
        Measure("P-384 ECDH derive", () => p.P384Ecdh());
        Measure("ECDSA P-384 verify", () => p.P384Verify());
        p.Cleanup();
    }

    private static void Measure(string name, Func<object> operation)
    {
        for (int i = 0; i < 10; i++)
            GC.KeepAlive(operation());
        GC.Collect();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        int n = 0;
        while (wall.Elapsed < Budget || n < 20)
        {
            GC.KeepAlive(operation());
            n++;
        }
        wall.Stop();
        process.Refresh();
        double cpuMs = (process.TotalProcessorTime - cpuStart).TotalMilliseconds / n;
        double wallMs = wall.Elapsed.TotalMilliseconds / n;
        Console.WriteLine($"| {name} | {n} | {cpuMs:F3} | {wallMs:F3} | {cpuMs / wallMs:P0} |");
    }
}
