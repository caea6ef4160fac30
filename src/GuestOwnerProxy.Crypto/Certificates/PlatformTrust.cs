namespace GuestOwnerProxy.Crypto.Certificates;

/// <summary>
/// What an operator trusts, in the shapes operators have: root files (HRK, ARK), extra roots they
/// explicitly allow (lab or simulator roots, by SHA-256 fingerprint), and the per-chip
/// intermediates an offline broker needs (CSV: <c>hsk_cek</c> files from Hygon's key server;
/// SEV: ASK files and ASK-signed CEKs from AMD's key server).
/// </summary>
public sealed class PlatformTrust
{
    /// <summary>
    /// The sizes the chain verifiers take an intermediate file in: a CSV hsk_cek (HSK ‖ CEK), a SEV (ASK-signed) CEK,
    /// an AMD ASK (RSA-2048/4096) and AMD's ASK ‖ ARK download. Both verifiers skip a file of any other size.
    /// </summary>
    public static IReadOnlyList<int> IntermediateFileSizes { get; } =
    [
        Csv.CsvCertificateLayout.HskCekSize,
        Sev.SevCertificateLayout.Size,
        Sev.AmdCaCertificateLayout.Size2048, Sev.AmdCaCertificateLayout.Size4096,
        2 * Sev.AmdCaCertificateLayout.Size2048, 2 * Sev.AmdCaCertificateLayout.Size4096,
    ];

    /// <summary>The same, for an error message.</summary>
    public static string IntermediateFileSizesText { get; } =
        $"CSV hsk_cek {Csv.CsvCertificateLayout.HskCekSize}, SEV CEK {Sev.SevCertificateLayout.Size}, AMD ASK " +
        $"{Sev.AmdCaCertificateLayout.Size2048}/{Sev.AmdCaCertificateLayout.Size4096}, ASK ‖ ARK " +
        $"{2 * Sev.AmdCaCertificateLayout.Size2048}/{2 * Sev.AmdCaCertificateLayout.Size4096} bytes";

    /// <summary>Candidate root certificates (HRK 832 bytes; ARK 832/1600 bytes). A root is used only when its
    /// SHA-256 fingerprint is one of the built-in pins or listed in <see cref="ExtraRootFingerprints"/>.</summary>
    public IReadOnlyList<byte[]> RootCertificates { get; init; } = [];

    /// <summary>Hex SHA-256 fingerprints of roots allowed beyond the built-in pins (compared after trimming and
    /// lower-casing; use <see cref="IsAllowedExtraRoot"/> rather than comparing these strings directly).</summary>
    public IReadOnlyList<string> ExtraRootFingerprints
    {
        get => _extraRootFingerprints;
        init
        {
            _extraRootFingerprints = value ?? [];
            _normalizedExtraRoots = null;
        }
    }

    private readonly IReadOnlyList<string> _extraRootFingerprints = [];
    private HashSet<string>? _normalizedExtraRoots;

    /// <summary>
    /// True when <paramref name="fingerprint"/> (hex SHA-256 of a root file) is one of <see cref="ExtraRootFingerprints"/>.
    /// Both sides are normalised the same way (surrounding whitespace removed, lower case), so the CSV and SEV
    /// verifiers cannot disagree about whether an operator-listed root is allowed.
    /// </summary>
    public bool IsAllowedExtraRoot(string? fingerprint)
    {
        if (string.IsNullOrWhiteSpace(fingerprint))
            return false;
        var set = _normalizedExtraRoots ??= new HashSet<string>(
            _extraRootFingerprints.Where(f => !string.IsNullOrWhiteSpace(f)).Select(NormalizeFingerprint), StringComparer.Ordinal);
        return set.Contains(NormalizeFingerprint(fingerprint));
    }

    /// <summary>Trimmed, lower-case form of a hex fingerprint.</summary>
    public static string NormalizeFingerprint(string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        return fingerprint.Trim().ToLowerInvariant();
    }

    /// <summary>CSV: hsk_cek files (HSK ‖ CEK, 2916 bytes). SEV: ASK certificates, ASK-signed CEKs,
    /// or ASK ‖ ARK files. Each verifier takes the pieces that belong to its platform.</summary>
    public IReadOnlyList<byte[]> Intermediates { get; init; } = [];

    public static PlatformTrust BuiltInOnly { get; } = new();
}
