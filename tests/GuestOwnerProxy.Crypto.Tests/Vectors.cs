using System.Reflection;
using System.Runtime.CompilerServices;

namespace GuestOwnerProxy.Crypto.Tests;

/// <summary>
/// Locates the published known-answer files in ../shared/vectors (beside the checkout; never copied into this
/// repository; GOP_VECTORS overrides). Where they come from: docs/test-vectors.md.
/// <para>
/// Every test that reads a vector file is marked <see cref="VectorFactAttribute"/> or
/// <see cref="VectorTheoryAttribute"/>. When the folder is missing those tests are skipped at discovery with
/// <see cref="SkipReason"/> (xunit's own skip), unless the vectors are <see cref="Required"/> (<c>CI=true</c> or
/// <c>GOP_REQUIRE_VECTORS=1</c>) or GOP_VECTORS names a folder that is not there: then they run and fail on the
/// missing file, as before, so a CI run can never pass without the vectors.
/// </para>
/// When it skips, each test assembly writes the names of its skipped tests (one a line) to <see cref="SkipRecordFile"/>;
/// after.GuestOwnerProxy.sln.targets adds them up into the last line of <c>dotnet test GuestOwnerProxy.sln</c>.
/// </summary>
public static class Vectors
{
    public const string SkipReason = "published vectors not found: set GOP_VECTORS or place them at ../shared/vectors";

    /// <summary>Beside the test assembly: the tests it skipped for want of the vectors, one a line.</summary>
    public static readonly string SkipRecordFile = System.IO.Path.Combine(AppContext.BaseDirectory, "gop-vectors-skipped.txt");

    private static readonly Lazy<string?> Root = new(FindRoot);

    /// <summary>True when the published vectors were found (GOP_VECTORS or ../shared/vectors).</summary>
    public static bool Available => Root.Value != null;

    /// <summary>CI=true or GOP_REQUIRE_VECTORS=1: a missing vectors folder is a failure, never a skip.</summary>
    public static bool Required => IsSet("CI") || IsSet("GOP_REQUIRE_VECTORS");

    /// <summary>Skip the vector tests: the folder is missing, nothing requires it, GOP_VECTORS is not set.</summary>
    public static bool Skipping => !Available && !Required && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GOP_VECTORS"));

    public static string Path(string relative) => System.IO.Path.Combine(RootOrThrow(), relative);

    public static byte[] Read(string relative) => File.ReadAllBytes(Path(relative));

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

#pragma warning disable CA2255 // a module initializer in a test assembly: refresh the skip record of this run
    [ModuleInitializer]
    internal static void WriteSkipRecord()
#pragma warning restore CA2255
    {
        try
        {
            File.Delete(SkipRecordFile);
            if (!Skipping)
                return;
            // One line per marked method: a skipped theory is reported as one skipped test, like a fact.
            var skipped = typeof(Vectors).Assembly.GetTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                .Where(m => m.IsDefined(typeof(VectorFactAttribute)) || m.IsDefined(typeof(VectorTheoryAttribute)))
                .Select(m => $"{m.DeclaringType!.FullName}.{m.Name}");
            File.WriteAllLines(SkipRecordFile, skipped);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ReflectionTypeLoadException)
        {
            // The record only feeds the summary line; xunit reports the skips themselves.
        }
    }

    private static string RootOrThrow()
    {
        if (Root.Value is { } root)
            return root;
        var env = Environment.GetEnvironmentVariable("GOP_VECTORS");
        if (!string.IsNullOrEmpty(env))
            throw new DirectoryNotFoundException($"known-answer vectors not found: GOP_VECTORS={env} is not a folder");
        throw new DirectoryNotFoundException(Required
            ? "known-answer vectors not found: expected ../shared/vectors beside the repository (or set GOP_VECTORS); " +
              "with CI=true or GOP_REQUIRE_VECTORS=1 that is a failure, not a skip (sources: docs/test-vectors.md)"
            : "known-answer vectors not found: expected ../shared/vectors beside the repository (or set GOP_VECTORS); " +
              "a test that reads a vector file must be marked [VectorFact] or [VectorTheory] to be skipped instead");
    }

    private static bool IsSet(string variable) =>
        Environment.GetEnvironmentVariable(variable)?.Trim().ToLowerInvariant() is "1" or "true" or "yes";

    private static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("GOP_VECTORS");
        if (!string.IsNullOrEmpty(env))
            return Directory.Exists(env) ? System.IO.Path.GetFullPath(env) : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "..", "shared", "vectors");
            if (Directory.Exists(candidate) && File.Exists(System.IO.Path.Combine(candidate, "README.md")))
                return System.IO.Path.GetFullPath(candidate);
        }
        return null;
    }
}

/// <summary>A fact that reads published vector files: skipped with <see cref="Vectors.SkipReason"/> when they are missing (see <see cref="Vectors"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class VectorFactAttribute : FactAttribute
{
    public VectorFactAttribute()
    {
        if (Vectors.Skipping)
            Skip = Vectors.SkipReason;
    }
}

/// <summary>A theory that reads published vector files: skipped with <see cref="Vectors.SkipReason"/> when they are missing (see <see cref="Vectors"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class VectorTheoryAttribute : TheoryAttribute
{
    public VectorTheoryAttribute()
    {
        if (Vectors.Skipping)
            Skip = Vectors.SkipReason;
    }
}
