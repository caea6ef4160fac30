using System.Diagnostics;

namespace GuestOwnerProxy.Tests.Logging;

/// <summary>
/// A small tmpfs mounted for one test: a real file system that really fills up. Mounting needs root; the tests that
/// use it are <see cref="TmpfsFactAttribute"/>s, skipped elsewhere, never under CI (CI runs as root: a mount that
/// fails there fails the test). Compiled into the server and the CLI tests.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    public TmpfsMount(int kibibytes)
    {
        Path = Directory.CreateTempSubdirectory("gop-tmpfs-").FullName;
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={kibibytes}k,mode=0700", "tmpfs", Path);
        if (code != 0)
        {
            Directory.Delete(Path);
            throw new InvalidOperationException($"mount -t tmpfs failed ({code}): {output}");
        }
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Gives the file system room again (remount with a new size), as an operator freeing space would.</summary>
    public void Resize(int kibibytes)
    {
        var (code, output) = Run("mount", "-o", $"remount,size={kibibytes}k", Path);
        if (code != 0)
            throw new InvalidOperationException($"remount failed ({code}): {output}");
    }

    public void Dispose()
    {
        if (Run("umount", Path).Code != 0)
            Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static (int Code, string Output) Run(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"could not run {program}");
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Trim());
    }

    /// <summary>Root can mount (and CI runs as root).</summary>
    public static bool CanMount => Environment.UserName == "root";
}

/// <summary>A fact that mounts a <see cref="TmpfsMount"/>: skipped unless root, or required under <c>CI=true</c>.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!TmpfsMount.CanMount && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Skip = "mounting a tmpfs needs root (the full-file-system tests run under CI, which is root)";
    }
}
