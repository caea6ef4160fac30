using System.Diagnostics;
using System.Reflection;
using System.Text;

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
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = RepoRoot,
        };
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        return Gop.Collect(process, $"the load test {string.Join(" ", args)}", TimeSpan.FromSeconds(180));
    }
}
