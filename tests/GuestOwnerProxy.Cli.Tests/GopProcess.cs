using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>The result of one run of the real executable: exit code and the exact stdout/stderr text.</summary>
public sealed record GopResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the built gop.dll with <c>dotnet</c>, exactly as an operator or kata would run the binary.
/// The path comes from the build (assembly metadata "GopDll"), overridable with GOP_DLL.
/// </summary>
public static class Gop
{
    private static readonly Lazy<string> DllPath = new(FindDll);

    public static string Dll => DllPath.Value;

    public static GopResult Run(params string[] args) => RunIn(null, args);

    public static GopResult RunIn(string? workingDirectory, params string[] args) => RunWith(workingDirectory, null, args);

    /// <summary>Runs with extra environment variables (a null value removes the variable).</summary>
    public static GopResult RunWithEnvironment(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        RunWith(null, environment, args);

    private static GopResult RunWith(string? workingDirectory, IReadOnlyDictionary<string, string?>? environment, string[] args)
    {
        using var process = Start(workingDirectory, environment, args);
        return Collect(process, $"gop {string.Join(" ", args)}", TimeSpan.FromSeconds(120));
    }

    /// <summary>Waits for a started process (output redirected) and returns its exit code and output; past
    /// <paramref name="limit"/> it is killed with its children and the wait is a <see cref="TimeoutException"/>.</summary>
    public static GopResult Collect(Process process, string what, TimeSpan limit)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish in {limit.TotalSeconds:0} s");
        }
        // A child that outlived the process (a background job) would hold the pipes open: bounded too.
        if (!Task.WaitAll([stdout, stderr], TimeSpan.FromSeconds(30)))
            throw new TimeoutException($"{what} exited, but something it started still holds its output open after 30 s");
        return new GopResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts gop without waiting (for the server).</summary>
    public static Process Start(string? workingDirectory, params string[] args) => Start(workingDirectory, null, args);

    /// <summary>Starts gop through <paramref name="launcher"/> (e.g. <c>nohup</c>), without waiting.</summary>
    public static Process StartUnder(string launcher, string? workingDirectory, params string[] args) =>
        StartAssembly(Dll, workingDirectory, null, args, launcher);

    private static Process Start(string? workingDirectory, IReadOnlyDictionary<string, string?>? environment, string[] args) =>
        StartAssembly(Dll, workingDirectory, environment, args);

    /// <summary>Starts a built .NET program (<c>dotnet DLL args</c>) with its output redirected; gop, or another tool of
    /// the repository's (the load test).</summary>
    /// <param name="launcher">A program that runs dotnet in its turn (<c>nohup</c>: the process starts with SIGHUP ignored).</param>
    public static Process StartAssembly(string dll, string? workingDirectory, IReadOnlyDictionary<string, string?>? environment, IEnumerable<string> args,
        string? launcher = null)
    {
        var info = new ProcessStartInfo(launcher ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        if (launcher is not null)
            info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        // Servers run in parallel: none takes the fixed metrics port unless a test asks for it (the environment below).
        info.Environment["GuestOwnerProxy__Metrics__Port"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                info.Environment.Remove(name);
            else
                info.Environment[name] = value;
        }
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
    }

    private static string FindDll()
    {
        var env = Environment.GetEnvironmentVariable("GOP_DLL");
        if (!string.IsNullOrEmpty(env) && File.Exists(env))
            return env;
        var built = typeof(Gop).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "GopDll")?.Value;
        if (built is not null && File.Exists(built))
            return Path.GetFullPath(built);
        throw new FileNotFoundException($"gop.dll not found at '{built}' (build src/GuestOwnerProxy first, or set GOP_DLL)");
    }
}
