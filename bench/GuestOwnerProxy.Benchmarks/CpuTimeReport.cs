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
            Measure($"{kind} CreateSession (PDH parsed and imported per call)", () => session.CreateSession());
            Measure($"{kind} CreateSession, PDH imported once (server path)", () => session.CreateSessionImported());
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
        OpenSslReference();
    }

    /// <summary><c>openssl speed</c> in the same run, so the figures above have their reference beside them (issue 14:
    /// an SEV launch within 3x one P-384 ECDH op, a CSV launch within 3x one SM2 sign, a chain within 2x its verifies).</summary>
    private static void OpenSslReference()
    {
        Console.WriteLine();
        Console.WriteLine("| openssl speed (same run, user CPU) | ms/op |");
        Console.WriteLine("|---|---:|");
        foreach (var algorithm in new[] { "ecdhp384", "ecdsap384", "sm2", "rsa4096", "rsa2048" })
        {
            string output;
            try
            {
                using var speed = Process.Start(new ProcessStartInfo("openssl", ["speed", "-seconds", "2", algorithm])
                    { RedirectStandardOutput = true, RedirectStandardError = true }) ?? throw new InvalidOperationException();
                output = speed.StandardOutput.ReadToEnd();
                speed.WaitForExit();
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                Console.WriteLine($"| {algorithm} | (openssl not available) |");
                continue;
            }
            // The last line is the table row: "... 0.0007s 0.0006s 1415.5 1691.8" (sign/verify) or "... 0.0007s 1499.0" (ECDH).
            var row = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.Contains("bits")) ?? "";
            // The rates after the last "0.0007s" column are exact where the seconds are rounded to 0.1 ms.
            var tokens = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int lastSeconds = Array.FindLastIndex(tokens, t => t.EndsWith('s') && double.TryParse(t.TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture, out _));
            var numbers = tokens.Skip(lastSeconds + 1)
                .Select(t => double.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out var rate) && rate > 0 ? 1000 / rate : double.NaN)
                .Where(ms => !double.IsNaN(ms)).ToList();
            string[] names = numbers.Count == 2 ? ["sign", "verify"] : ["op"];
            for (int i = 0; i < numbers.Count && i < names.Length; i++)
                Console.WriteLine($"| {algorithm} {names[i]} | {numbers[i]:F3} |");
        }
    }

    private static void Measure(string name, Func<object> operation)
    {
        // Warm up past tiered compilation (tier 1 after 30 calls and a 100 ms quiet period): its background JIT
        // would otherwise be counted as the operation's CPU.
        var warmup = Stopwatch.StartNew();
        for (int i = 0; i < 60 || warmup.ElapsedMilliseconds < 300; i++)
            GC.KeepAlive(operation());
        Thread.Sleep(250);
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
