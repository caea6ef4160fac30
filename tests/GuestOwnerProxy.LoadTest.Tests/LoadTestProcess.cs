using System.Reflection;

namespace GuestOwnerProxy.LoadTest.Tests;

/// <summary>The built load test (<c>dotnet GuestOwnerProxy.LoadTest.dll</c>) as a process of its own, run from the repository root.</summary>
internal static class LoadTestProcess
{
    public static readonly string Dll = typeof(LoadTestProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "LoadTestDll").Value!;

    public static string RepoRoot => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Dll)!, "../../../../.."));

    /// <summary>Runs it to its end (at most 3 minutes) and collects its exit code and output.</summary>
    public static GopResult Run(params string[] args)
    {
        using var process = Gop.StartAssembly(Dll, RepoRoot, null, args);
        return Gop.Collect(process, $"the load test {string.Join(" ", args)}", TimeSpan.FromSeconds(180));
    }
}
