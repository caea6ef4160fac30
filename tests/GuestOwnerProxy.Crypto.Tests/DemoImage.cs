namespace GuestOwnerProxy.Crypto.Tests;

/// <summary>
/// The repository's own synthetic launch image (<c>config/dev/demo</c>: 1 MiB filler with a real AmdSev-style
/// OVMF footer), for tests that need some OVMF bytes but pin no published value. Unlike the published vectors
/// it is always there, so those tests also run on a fresh clone. Compiled into every test project.
/// </summary>
public static class DemoImage
{
    private static readonly Lazy<string> RepositoryRoot = new(FindRepositoryRoot);

    /// <summary>config/dev/demo/OVMF.fd: has a kernel-hashes area, a secret area and an SEV-ES reset block.</summary>
    public static string Ovmf => Path.Combine(RepositoryRoot.Value, "config", "dev", "demo", "OVMF.fd");

    /// <summary>
    /// A copy of the demo OVMF with one filler byte changed (one temporary file per test process, removed at exit):
    /// the same footer, so every command accepts it, but another launch digest: an image no keyset approved.
    /// </summary>
    public static string OtherOvmf => OtherOvmfFile.Value;

    private static readonly Lazy<string> OtherOvmfFile = new(() =>
    {
        var bytes = File.ReadAllBytes(Ovmf);
        bytes[0] ^= 0xff;
        var path = Path.Combine(Path.GetTempPath(), $"gop-other-ovmf-{Environment.ProcessId}-{Guid.NewGuid():N}.fd");
        File.WriteAllBytes(path, bytes);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    });

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GuestOwnerProxy.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException(
            $"repository root (GuestOwnerProxy.sln) not found above {AppContext.BaseDirectory}");
    }
}
