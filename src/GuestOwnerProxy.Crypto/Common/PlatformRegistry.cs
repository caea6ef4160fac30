using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;

namespace GuestOwnerProxy.Crypto.Common;

/// <summary>Why evidence names no platform; callers map each to their own refusal (a gRPC denial, a CLI error).</summary>
public enum PlatformRecognitionFailure
{
    /// <summary>Neither a PDH nor a chain was given.</summary>
    NoCertificate,
    /// <summary>The PDH (or the chain's head) is not the size of a platform certificate.</summary>
    WrongSize,
    /// <summary>Platform-sized, but no platform's algorithm and curve.</summary>
    UnknownAlgorithm,
}

/// <summary>Evidence whose platform could not be told. The message is the explanation alone (no certificate bytes).</summary>
public sealed class PlatformNotRecognizedException : CryptoFormatException
{
    public PlatformNotRecognizedException(PlatformRecognitionFailure failure, string explanation)
        : base(explanation) => Failure = failure;

    public PlatformRecognitionFailure Failure { get; }
}

/// <summary>A certificate file split into the evidence a profile verifies, with the layout it was recognised as (for logs).</summary>
public sealed record ExportedEvidence(PlatformEvidence Evidence, string Layout);

/// <summary>
/// The platforms this build knows, and every decision that depends on which one is meant: which platform a
/// PDH or a chain export belongs to, and each platform's crypto for the bundle and the secret. The server
/// injects it; the command line and tests use <see cref="Default"/> or a registry of their own profiles.
/// </summary>
public interface IPlatformRegistry
{
    IReadOnlyList<IPlatformProfile> All { get; }

    IPlatformProfile For(PlatformKind platform);

    /// <summary>The profile whose certificates these are (by algorithm and curve, never by size alone), or null.</summary>
    IPlatformProfile? TryRecognize(ReadOnlySpan<byte> platformCertificate);

    /// <summary>Which platform sent the evidence: its PDH, else the certificate at the head of its chain
    /// (a full export carries the PDH first). Throws <see cref="PlatformNotRecognizedException"/>.</summary>
    IPlatformProfile Recognize(PlatformEvidence evidence);

    /// <summary>Splits one certificate file as the keybroker protocol sends it (PDH ‖ PEK ‖ OCA ‖ CEK, or a full
    /// export ending in the vendor CA certificates) into evidence. Throws <see cref="InvalidCertificateException"/>.</summary>
    ExportedEvidence SplitExport(byte[] file);
}

/// <inheritdoc />
public sealed class PlatformRegistry : IPlatformRegistry
{
    private readonly IPlatformProfile _csv;
    private readonly IPlatformProfile _sev;

    /// <summary>The built-in Hygon CSV and AMD SEV profiles.</summary>
    public static PlatformRegistry Default { get; } = new(CsvPlatformProfile.Instance, SevPlatformProfile.Instance);

    public PlatformRegistry(IPlatformProfile csv, IPlatformProfile sev)
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(sev);
        if (csv.Kind != PlatformKind.Csv || sev.Kind != PlatformKind.Sev)
            throw new ArgumentException("the CSV and SEV profiles must be given in that order");
        _csv = csv;
        _sev = sev;
        All = [csv, sev];
    }

    /// <summary>Every platform certificate (PDH, PEK, OCA, CEK, GODH) of both vendors has this size.</summary>
    public const int PlatformCertificateSize = PlatformEvidence.CertificateSize;

    public IReadOnlyList<IPlatformProfile> All { get; }

    public IPlatformProfile For(PlatformKind platform) => platform switch
    {
        PlatformKind.Csv => _csv,
        PlatformKind.Sev => _sev,
        _ => throw new ArgumentOutOfRangeException(nameof(platform), platform, "not a platform"),
    };

    public IPlatformProfile? TryRecognize(ReadOnlySpan<byte> platformCertificate)
    {
        foreach (var profile in All)
        {
            if (profile.Recognizes(platformCertificate))
                return profile;
        }
        return null;
    }

    public IPlatformProfile Recognize(PlatformEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var pdh = evidence.PdhCertificate ?? [];
        var chain = evidence.CertificateChain ?? [];
        // A full export (sevctl --full) carries the PDH at its head and may come without a separate PDH.
        var probe = pdh.Length > 0 ? pdh.AsSpan() : chain.AsSpan(0, Math.Min(chain.Length, PlatformCertificateSize));
        if (probe.IsEmpty)
            throw new PlatformNotRecognizedException(PlatformRecognitionFailure.NoCertificate, "no PDH certificate and no certificate chain");
        return TryRecognize(probe) ?? throw (probe.Length == PlatformCertificateSize
            ? new PlatformNotRecognizedException(PlatformRecognitionFailure.UnknownAlgorithm, "unknown algorithm/curve")
            : new PlatformNotRecognizedException(PlatformRecognitionFailure.WrongSize,
                $"{probe.Length} bytes, a PDH certificate has {PlatformCertificateSize}"));
    }

    public ExportedEvidence SplitExport(byte[] file)
    {
        ArgumentNullException.ThrowIfNull(file);
        const int platform = PlatformCertificateSize;
        const int shortSize = 4 * platform;
        if (file.Length < platform)
            throw Malformed($"{file.Length} bytes, shorter than one PDH certificate ({platform} bytes)");
        var pdh = file[..platform];
        if (file.Length == shortSize)
            return new ExportedEvidence(new PlatformEvidence(pdh, file[platform..]), "PDH ‖ PEK ‖ OCA ‖ CEK");
        // A Naples SEV full export and a CSV full export have the same size: the PDH's algorithm decides.
        var profile = TryRecognize(pdh);
        if (profile?.Kind == PlatformKind.Csv && file.Length == CsvPlatformProfile.FullChainSize)
            return new ExportedEvidence(new PlatformEvidence(pdh, file), "PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK");
        if (profile?.Kind != PlatformKind.Csv && SevCertificateChain.IsFullChainSize(file.Length))
            return new ExportedEvidence(new PlatformEvidence(pdh, file), "PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK");
        throw Malformed(
            $"{file.Length} bytes; expected PDH ‖ PEK ‖ OCA ‖ CEK ({shortSize}), the SEV full export PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK " +
            $"({SevCertificateChain.FullSize2048} or {SevCertificateChain.FullSize4096}) or the CSV full export " +
            $"PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK ({CsvPlatformProfile.FullChainSize})");
    }

    private static InvalidCertificateException Malformed(string explanation) => new("CertificateChain", explanation);
}
