namespace GuestOwnerProxy.Crypto.Common;

/// <summary>
/// The one spelling of each platform in configuration, on the command line, in logs and in audit records:
/// <c>csv</c> (Hygon) and <c>sev</c> (AMD). Parsing is case-insensitive and ignores surrounding blanks;
/// nothing else is accepted, so a keyset, a flag and a log line always say the same word.
/// </summary>
public static class PlatformNames
{
    public const string Csv = "csv";
    public const string Sev = "sev";

    /// <summary>For error messages: <c>csv or sev</c>.</summary>
    public const string Expected = "csv or sev";

    public static string Of(PlatformKind platform) => platform switch
    {
        PlatformKind.Csv => Csv,
        PlatformKind.Sev => Sev,
        _ => throw new ArgumentOutOfRangeException(nameof(platform), platform, "not a platform"),
    };

    public static bool TryParse(string? name, out PlatformKind platform)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case Csv:
                platform = PlatformKind.Csv;
                return true;
            case Sev:
                platform = PlatformKind.Sev;
                return true;
            default:
                platform = default;
                return false;
        }
    }

    /// <summary>Parses a platform name or throws <see cref="CryptoFormatException"/> saying what was expected.</summary>
    public static PlatformKind Parse(string? name) => TryParse(name, out var platform)
        ? platform
        : throw new CryptoFormatException(string.IsNullOrWhiteSpace(name)
            ? $"platform missing (expected {Expected})"
            : $"'{name}' is not a platform (expected {Expected})");
}
