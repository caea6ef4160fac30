using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Server.Policy;
using CsvLayout = GuestOwnerProxy.Crypto.Csv.CsvCertificateLayout;

namespace GuestOwnerProxy.Server.KeyBroker;

/// <summary>
/// The keybroker protocol's one certificate file, split into what the platform profiles verify: the PDH
/// and PEK ‖ OCA ‖ CEK, or a whole full export, whose CA certificates (HSK ‖ HRK, ASK ‖ ARK) the profiles
/// use as candidates only: an HSK or ASK counts when it verifies under a root, a root when it is pinned
/// or explicitly allowed.
/// </summary>
/// <param name="Pdh">The PDH at the head of the file.</param>
/// <param name="Chain">PEK ‖ OCA ‖ CEK, or the whole full export.</param>
/// <param name="Layout">Name of the recognised layout, for logs.</param>
public sealed record KeyBrokerChain(byte[] Pdh, byte[] Chain, string Layout)
{
    private const int Platform = CsvLayout.Platform.Size; // 2084 for both vendors
    public const int ShortSize = 4 * Platform;
    public const int CsvFullSize = CsvPlatformProfile.FullChainSize;

    /// <summary>
    /// Accepts PDH ‖ PEK ‖ OCA ‖ CEK (either platform), <c>sevctl export --full</c> (PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK,
    /// 10000 or 11536 bytes) and the CSV full export (PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK, 10000 bytes). A Naples SEV
    /// full export and a CSV full export have the same size, so the PDH's algorithm decides, never the size.
    /// </summary>
    public static KeyBrokerChain Split(byte[] file)
    {
        if (file.Length < Platform)
            throw Malformed($"{file.Length} bytes, shorter than one PDH certificate ({Platform} bytes)");
        var pdh = file[..Platform];
        bool csv = CsvCertificate.LooksLikeCsv(pdh);
        if (file.Length == ShortSize)
            return new KeyBrokerChain(pdh, file[Platform..], "PDH ‖ PEK ‖ OCA ‖ CEK");
        if (csv && file.Length == CsvFullSize)
            return new KeyBrokerChain(pdh, file, "PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK");
        if (!csv && SevCertificateChain.IsFullChainSize(file.Length))
            return new KeyBrokerChain(pdh, file, "PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK");
        throw Malformed(
            $"{file.Length} bytes; expected PDH ‖ PEK ‖ OCA ‖ CEK ({ShortSize}), the SEV full export PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK " +
            $"({SevCertificateChain.FullSize2048} or {SevCertificateChain.FullSize4096}) or the CSV full export " +
            $"PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK ({CsvFullSize})");
    }

    private static LaunchDeniedException Malformed(string explanation) =>
        new(DenialReason.CertificateInvalid.With($"CertificateChain: {explanation}"));
}
