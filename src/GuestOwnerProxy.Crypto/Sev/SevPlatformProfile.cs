using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>AMD SEV behind the platform-independent launch flow.</summary>
public sealed class SevPlatformProfile : IPlatformProfile
{
    public static readonly SevPlatformProfile Instance = new();

    public PlatformKind Kind => PlatformKind.Sev;

    public ILaunchCrypto Crypto => SevLaunchCrypto.Instance;

    public bool Recognizes(ReadOnlySpan<byte> platformCertificate) => SevCertificate.IsSevCertificate(platformCertificate);

    public ChainVerificationResult VerifyChain(PlatformEvidence evidence, PlatformTrust trust)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        return SevChainVerifier.Verify(evidence.PdhCertificate ?? [], evidence.CertificateChain ?? [], trust);
    }

    public byte[] SelectPdh(PlatformEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        if (evidence.PdhCertificate is { Length: > 0 } pdh)
            return SevCertificate.Parse(pdh, "PDH", SevUsage.Pdh).ToArray();
        var chain = evidence.CertificateChain ?? [];
        if (SevCertificateChain.IsFullChainSize(chain.Length))
            return SevCertificate.Parse(chain.AsSpan(0, SevCertificateLayout.Size), "PDH", SevUsage.Pdh).ToArray();
        throw new InvalidCertificateException("PDH",
            $"no PDH given and the {chain.Length}-byte chain is not a full export (PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK)");
    }

    public PdhKey ImportPdh(ReadOnlySpan<byte> pdhCertificate) => SevPdhKey.Import(SevCertificate.Parse(pdhCertificate, "PDH"));

    public LaunchSession CreateSession(PdhKey pdh, uint policy, IRandomSource random) =>
        SevSessionBuilder.Create(pdh as SevPdhKey ?? throw new ArgumentException($"a {pdh?.Platform} PDH key given to the SEV profile", nameof(pdh)),
            policy, random);

    public LaunchSession CreateSession(ReadOnlySpan<byte> pdhCertificate, uint policy, IRandomSource random) =>
        SevSessionBuilder.Create(pdhCertificate, policy, random);
}
