using BenchmarkDotNet.Running;

// Run: dotnet run -c Release --project bench/GuestOwnerProxy.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
