namespace GuestOwnerProxy.Crypto.Tests;

/// <summary>
/// Locates the published known-answer files in ../shared/vectors (beside the checkout; never copied
/// into this repository). A missing folder fails the test with a clear message instead of skipping,
/// so a CI run can never pass without the vectors.
/// </summary>
public static class Vectors
{
    private static readonly Lazy<string> Root = new(FindRoot);

    public static string Path(string relative) => System.IO.Path.Combine(Root.Value, relative);

    public static byte[] Read(string relative) => File.ReadAllBytes(Path(relative));

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

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
