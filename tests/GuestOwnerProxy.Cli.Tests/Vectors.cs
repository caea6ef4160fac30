namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// The shared known-answer files in ../shared/vectors beside the checkout (never copied into the
/// repository); same lookup as the crypto tests. A missing folder fails the test, never skips it.
/// </summary>
public static class Vectors
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string Path(string relative) => System.IO.Path.Combine(Root.Value, relative);

    private static string FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("GOP_VECTORS");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
            return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "..", "shared", "vectors");
            if (Directory.Exists(candidate) && File.Exists(System.IO.Path.Combine(candidate, "README.md")))
                return System.IO.Path.GetFullPath(candidate);
        }
        throw new DirectoryNotFoundException(
            "known-answer vectors not found: expected ../shared/vectors beside the repository (or set GOP_VECTORS)");
    }
}

/// <summary>A temporary directory removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("gop-cli-test-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, byte[] bytes)
    {
        var path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    public string Write(string name, string text) => Write(name, System.Text.Encoding.UTF8.GetBytes(text));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
