using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Platform;
using static GuestOwnerProxy.Crypto.Tests.RoundTrip.GuestOwnerSide;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>
/// The profiles' chain verification against simulator chains: genuine chains pass with the simulator root
/// allowed as an extra root; a PDH from another platform under this platform's chain fails at PEK->PDH
/// (a host substituting its own key); an unpinned, unlisted root fails at "root".
/// </summary>
public class ChainVerificationRoundTripTests
{
    public static TheoryData<PlatformKind> Platforms => new() { PlatformKind.Csv, PlatformKind.Sev };

    [Theory]
    [MemberData(nameof(Platforms))]
    public void GenuineChain_Verifies(PlatformKind kind)
    {
        var (profile, platform, _) = Setup(kind);
        var result = profile.VerifyChain(EvidenceOf(platform), TrustFor(platform));
        Assert.Equal(kind, result.Platform);
        Assert.Equal(platform.RootFingerprint, result.RootFingerprint);
        Assert.False(result.RootPinned);
        Assert.Equal("extra", result.RootName);
        Assert.Equal(64, result.ChipId.Length);
        Assert.Equal("PEK->PDH", result.VerifiedLinks[^1]);
        Assert.Same(profile, PlatformRegistry.Default.TryRecognize(platform.PdhCertificate));
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void PdhSignedByAnotherPek_FailsAtPekToPdh(PlatformKind kind)
    {
        var (profile, platform, other) = Setup(kind);
        var evidence = new PlatformEvidence(other.PdhCertificate, platform.CertificateChain);
        var e = Assert.Throws<ChainVerificationException>(() => profile.VerifyChain(evidence, TrustFor(platform)));
        Assert.Equal("PEK->PDH", e.Link);
        Assert.Equal(kind == PlatformKind.Csv ? CsvChainVerifier.LinkPekPdh : SevChainVerifier.PekToPdh, e.Link);
        // The other platform's PDH is genuine under its own chain.
        profile.VerifyChain(EvidenceOf(other), TrustFor(other));
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void UnpinnedRoot_FailsAtRoot(PlatformKind kind)
    {
        var (profile, platform, _) = Setup(kind);
        var e = Assert.Throws<ChainVerificationException>(() =>
            profile.VerifyChain(EvidenceOf(platform), TrustFor(platform, allowRoot: false)));
        Assert.Equal("root", e.Link);
        // Allowing another platform's root does not help either.
        var (_, _, other) = Setup(kind);
        var wrongAllowance = new PlatformTrust
        {
            RootCertificates = [platform.RootCertificate],
            ExtraRootFingerprints = [other.RootFingerprint],
            Intermediates = [platform.Intermediate],
        };
        Assert.Equal("root", Assert.Throws<ChainVerificationException>(() =>
            profile.VerifyChain(EvidenceOf(platform), wrongAllowance)).Link);
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void IntermediateOfAnotherPlatform_DoesNotAnchorTheChain(PlatformKind kind)
    {
        var (profile, platform, other) = Setup(kind);
        var trust = new PlatformTrust
        {
            RootCertificates = [platform.RootCertificate],
            ExtraRootFingerprints = [platform.RootFingerprint],
            Intermediates = [other.Intermediate],
        };
        var e = Assert.Throws<ChainVerificationException>(() => profile.VerifyChain(EvidenceOf(platform), trust));
        Assert.Equal(kind == PlatformKind.Csv ? CsvChainVerifier.LinkHskCekFile : SevChainVerifier.ArkToAsk, e.Link);
    }

    private static (IPlatformProfile Profile, ISoftwarePlatform Platform, ISoftwarePlatform Other) Setup(PlatformKind kind) =>
        kind == PlatformKind.Csv
            ? (CsvPlatformProfile.Instance, SimulatedPlatforms.CsvDefault, SimulatedPlatforms.OtherCsv)
            : (SevPlatformProfile.Instance, SimulatedPlatforms.Sev, SimulatedPlatforms.OtherSev);
}
