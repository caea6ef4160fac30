using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using L = GuestOwnerProxy.Crypto.Csv.CsvCertificateLayout;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>Hygon CSV behind the platform-independent launch flow.</summary>
public sealed class CsvPlatformProfile : IPlatformProfile
{
    public static CsvPlatformProfile Instance { get; } = new();

    public CsvPlatformProfile(CsvSessionLayoutVersion sessionLayout = CsvSessionLayoutVersion.V1)
    {
        SessionBuilder = new CsvSessionBuilder(sessionLayout);
    }

    public CsvSessionBuilder SessionBuilder { get; }

    public PlatformKind Kind => PlatformKind.Csv;

    public ILaunchCrypto Crypto => CsvLaunchCrypto.Instance;

    /// <summary>A 2084-byte certificate with an SM2 algorithm (4/5) and curve 3; AMD uses other ids at the same offsets.</summary>
    public bool Recognizes(ReadOnlySpan<byte> platformCertificate) => CsvCertificate.LooksLikeCsv(platformCertificate);

    /// <summary>Size of a full export PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK (the keybroker-style chain).</summary>
    public const int FullChainSize = 4 * L.Platform.Size + 2 * L.Ca.Size;

    public ChainVerificationResult VerifyChain(PlatformEvidence evidence, PlatformTrust trust)
    {
        ArgumentNullException.ThrowIfNull(trust);
        var pdh = SelectPdh(evidence);
        var chain = evidence.CertificateChain ?? [];
        if (chain.Length == FullChainSize)
        {
            // The HSK and HRK carried by a full export are offered like operator files: the HRK still has to be
            // pinned or explicitly allowed, and the HSK (with the export's CEK) still has to verify under it.
            int cas = 4 * L.Platform.Size;
            trust = new PlatformTrust
            {
                RootCertificates = [.. trust.RootCertificates, chain[(cas + L.Ca.Size)..]],
                ExtraRootFingerprints = trust.ExtraRootFingerprints,
                Intermediates = [.. trust.Intermediates, [.. chain.AsSpan(cas, L.Ca.Size), .. chain.AsSpan(3 * L.Platform.Size, L.Platform.Size)]],
            };
            evidence = evidence with { CertificateChain = chain[..cas] };
        }
        return CsvChainVerifier.Verify(pdh, ChainWithoutPdh(evidence), trust);
    }

    public byte[] SelectPdh(PlatformEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var pdh = evidence.PdhCertificate ?? [];
        var chain = evidence.CertificateChain ?? [];
        if (pdh.Length != 0)
        {
            if (pdh.Length != L.Platform.Size)
                throw new InvalidCertificateException("PDH", $"size {pdh.Length} bytes, a CSV PDH is {L.Platform.Size} bytes");
            return (byte[])pdh.Clone();
        }
        if (chain.Length is 4 * L.Platform.Size or FullChainSize)
            return chain[..L.Platform.Size];
        throw new InvalidCertificateException("PDH",
            $"no PDH given and the certificate chain ({chain.Length} bytes) is neither PDH ‖ PEK ‖ OCA ‖ CEK ({4 * L.Platform.Size} bytes) nor a full export ending in HSK ‖ HRK ({FullChainSize} bytes)");
    }

    public PdhKey ImportPdh(ReadOnlySpan<byte> pdhCertificate) => CsvPdhKey.Import(CsvCertificate.Parse(pdhCertificate, "PDH"));

    public LaunchSession CreateSession(PdhKey pdh, uint policy, IRandomSource random) =>
        SessionBuilder.Create(pdh as CsvPdhKey ?? throw new ArgumentException($"a {pdh?.Platform} PDH key given to the CSV profile", nameof(pdh)),
            policy, random);

    public LaunchSession CreateSession(ReadOnlySpan<byte> pdhCertificate, uint policy, IRandomSource random) =>
        SessionBuilder.Create(pdhCertificate, policy, random);

    /// <summary>cert_chain as PEK ‖ OCA ‖ CEK; a 4-certificate chain has the PDH in front, which must match an explicit PDH.</summary>
    private static byte[] ChainWithoutPdh(PlatformEvidence evidence)
    {
        var chain = evidence.CertificateChain ?? [];
        if (chain.Length != 4 * L.Platform.Size)
            return chain;
        var pdh = evidence.PdhCertificate ?? [];
        if (pdh.Length != 0 && !pdh.AsSpan().SequenceEqual(chain.AsSpan(0, L.Platform.Size)))
            throw new InvalidCertificateException("cert_chain",
                "the chain starts with a PDH that differs from the PDH given separately");
        return chain[L.Platform.Size..];
    }
}
