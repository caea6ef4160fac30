using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Crypto.Common;

/// <summary>What a platform sends to be trusted: its PDH and its certificate chain as exported
/// (CSV/SEV <c>cert_chain.cert</c> = PEK ‖ OCA ‖ CEK; SEV <c>sevctl export --full</c> = PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK,
/// in which case <see cref="PdhCertificate"/> may be empty and the PDH is taken from the chain).</summary>
public sealed record PlatformEvidence(byte[] PdhCertificate, byte[] CertificateChain)
{
    /// <summary>Every platform certificate (PDH, PEK, OCA, CEK, GODH) of both vendors has this size.</summary>
    public const int CertificateSize = Csv.CsvCertificateLayout.Platform.Size;
}

/// <summary>
/// The seam between the platform-independent flow and one platform's certificates and session
/// layout. Implemented by CsvPlatformProfile and SevPlatformProfile.
/// </summary>
public interface IPlatformProfile
{
    PlatformKind Kind { get; }

    /// <summary>The platform's one spelling (<see cref="PlatformNames"/>).</summary>
    string Name => PlatformNames.Of(Kind);

    ILaunchCrypto Crypto { get; }

    /// <summary>True when the 2084-byte platform certificate belongs to this platform (by algorithm and curve, never by size).</summary>
    bool Recognizes(ReadOnlySpan<byte> platformCertificate);

    /// <summary>Verifies PDH ← PEK ← (OCA, CEK ← intermediate ← pinned root). Throws
    /// <see cref="InvalidCertificateException"/> for unparsable bytes and <see cref="ChainVerificationException"/>
    /// naming the link that failed.</summary>
    ChainVerificationResult VerifyChain(PlatformEvidence evidence, PlatformTrust trust);

    /// <summary>Extracts the PDH from the evidence (the explicit PDH, else the one at the head of a full chain).</summary>
    byte[] SelectPdh(PlatformEvidence evidence);

    /// <summary>Parses the PDH and imports its key once (<see cref="InvalidCertificateException"/> when it cannot carry a
    /// session: wrong usage, algorithm or curve, a point off the curve).</summary>
    PdhKey ImportPdh(ReadOnlySpan<byte> pdhCertificate);

    /// <summary>Fresh GODH, TEK, TIK and the LAUNCH_START session blob for this imported PDH and policy.</summary>
    LaunchSession CreateSession(PdhKey pdh, uint policy, IRandomSource random);

    /// <summary>Fresh GODH, TEK, TIK and the LAUNCH_START session blob for this PDH and policy.</summary>
    LaunchSession CreateSession(ReadOnlySpan<byte> pdhCertificate, uint policy, IRandomSource random) =>
        CreateSession(ImportPdh(pdhCertificate), policy, random);
}
