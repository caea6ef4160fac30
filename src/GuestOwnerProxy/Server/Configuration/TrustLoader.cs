using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>The trust anchors and intermediates in force, as loaded from <see cref="TrustOptions"/>.</summary>
public sealed record LoadedTrust(PlatformTrust Trust, bool SkipVerification, IReadOnlyList<string> ExtraRootFingerprints, int IntermediateCount);

/// <summary>Reads the operator's trust files. Intermediates are public certificates; roots are used only when pinned or explicitly allowed.</summary>
public static class TrustLoader
{
    public const string Source = "appsettings GuestOwnerProxy:Trust";

    // Larger files cannot be certificates or concatenations of the known ones.
    private const long MaxCertificateFileSize = 64 * 1024;

    public static LoadedTrust Load(TrustOptions options, List<ConfigurationError> errors)
    {
        var roots = new List<byte[]>();
        for (int i = 0; i < options.RootFiles.Count; i++)
        {
            if (ReadCertificateFile(options.RootFiles[i], $"RootFiles[{i}]", errors) is { } bytes)
                roots.Add(bytes);
        }

        var fingerprints = new List<string>();
        for (int i = 0; i < options.ExtraRootFingerprints.Count; i++)
        {
            var normalized = NormalizeFingerprint(options.ExtraRootFingerprints[i]);
            if (normalized is null)
                errors.Add(new ConfigurationError(Source, null, $"ExtraRootFingerprints[{i}]",
                    $"'{options.ExtraRootFingerprints[i]}' is not a SHA-256 fingerprint (64 hex digits)"));
            else if (!fingerprints.Contains(normalized))
                fingerprints.Add(normalized);
        }

        var intermediates = new List<byte[]>();
        for (int i = 0; i < options.IntermediateFiles.Count; i++)
        {
            var field = $"IntermediateFiles[{i}]";
            if (ReadCertificateFile(options.IntermediateFiles[i], field, errors) is not { } bytes)
                continue;
            // Any other size would silently never be used by the verifiers: refuse it instead.
            if (PlatformTrust.IntermediateFileSizes.Contains(bytes.Length))
                intermediates.Add(bytes);
            else
                errors.Add(new ConfigurationError(Source, null, field,
                    $"file '{options.IntermediateFiles[i]}' has {bytes.Length} bytes, not an intermediate certificate file " +
                    $"({PlatformTrust.IntermediateFileSizesText})"));
        }
        // Directories hold whatever the vendors' key servers deliver; the verifiers pick the files they can use.
        for (int i = 0; i < options.IntermediateDirectories.Count; i++)
        {
            var directory = options.IntermediateDirectories[i];
            var field = $"IntermediateDirectories[{i}]";
            if (!Directory.Exists(directory))
            {
                errors.Add(new ConfigurationError(Source, null, field, $"directory '{directory}' does not exist"));
                continue;
            }
            foreach (var file in FilesIn(directory))
            {
                if (ReadCertificateFile(file, field, errors) is { } bytes)
                    intermediates.Add(bytes);
            }
        }

        var trust = new PlatformTrust
        {
            RootCertificates = roots,
            ExtraRootFingerprints = fingerprints,
            Intermediates = intermediates,
        };
        return new LoadedTrust(trust, options.SkipVerification, fingerprints, intermediates.Count);
    }

    /// <summary>Files considered in an intermediate directory (sorted, hidden files skipped): also what the reload watcher fingerprints.</summary>
    public static IEnumerable<string> FilesIn(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory)
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Order(StringComparer.Ordinal)
            : [];

    public static string? NormalizeFingerprint(string text)
    {
        var hex = new string(text.Where(c => c is not (':' or ' ' or '-')).ToArray()).ToLowerInvariant();
        return hex.Length == 64 && hex.All(Uri.IsHexDigit) ? hex : null;
    }

    private static byte[]? ReadCertificateFile(string path, string field, List<ConfigurationError> errors)
    {
        try
        {
            if (FileKind.Problem(path) is { } problem)
            {
                errors.Add(new ConfigurationError(Source, null, field, problem));
                return null;
            }
            var info = new FileInfo(path);
            if (info.Length == 0 || info.Length > MaxCertificateFileSize)
            {
                errors.Add(new ConfigurationError(Source, null, field,
                    $"file '{path}' has {info.Length} bytes, not a certificate file"));
                return null;
            }
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ConfigurationError(Source, null, field, $"cannot read '{path}': {ex.Message}"));
            return null;
        }
    }
}
