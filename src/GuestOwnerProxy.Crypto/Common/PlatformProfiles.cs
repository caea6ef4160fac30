using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;

namespace GuestOwnerProxy.Crypto.Common;

/// <summary>The known platforms, and detection of which one a certificate belongs to.</summary>
public static class PlatformProfiles
{
    public static IReadOnlyList<IPlatformProfile> All { get; } = [CsvPlatformProfile.Instance, SevPlatformProfile.Instance];

    public static IPlatformProfile For(PlatformKind kind) => kind switch
    {
        PlatformKind.Csv => CsvPlatformProfile.Instance,
        PlatformKind.Sev => SevPlatformProfile.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Which platform issued a 2084-byte platform certificate, decided by algorithm and curve
    /// (CSV and SEV certificates have the same size). Throws when neither recognises it.</summary>
    public static IPlatformProfile Detect(ReadOnlySpan<byte> platformCertificate)
    {
        foreach (var profile in All)
        {
            if (profile.Recognizes(platformCertificate))
                return profile;
        }
        throw new CryptoFormatException(
            $"PDH: not a CSV or SEV platform certificate ({platformCertificate.Length} bytes; unknown algorithm/curve or wrong size)");
    }

    public static PlatformKind ParseKind(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "" => throw new CryptoFormatException("platform missing (expected csv or sev)"),
        "csv" or "hygon" => PlatformKind.Csv,
        "sev" or "amd" => PlatformKind.Sev,
        _ => throw new CryptoFormatException($"unknown platform '{name}' (expected csv or sev)"),
    };
}
