using BenchmarkDotNet.Running;
using GuestOwnerProxy.Benchmarks;

// Run: dotnet run -c Release --project bench/GuestOwnerProxy.Benchmarks -- --filter '*' [--job short]
// CPU-time report (comparable with `openssl speed`): ... -- --cpu-time
if (args is ["--cpu-time"])
    CpuTimeReport.Run();
else
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
