using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Platform;
using static GuestOwnerProxy.Crypto.Tests.RoundTrip.GuestOwnerSide;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>AMD SEV: the guest-owner core against the independent software firmware.</summary>
public class SevRoundTripTests
{
    private const int RandomSessions = 50;
    private static readonly SevPlatformProfile Profile = SevPlatformProfile.Instance;

    [Fact]
    public void RandomSessions_RoundTrip()
    {
        var platform = SimulatedPlatforms.Sev;
        var pdh = VerifiedPdh(platform);
        for (int i = 0; i < RandomSessions; i++)
        {
            var random = new RoundTripRandom($"sev/session/{i}");
            WithContext(random, () =>
                Assert.Equal(MeasurementFormula.Sev, LaunchRoundTrip.Run(Profile, platform, pdh, random).Formula));
        }
    }

    /// <summary>sevctl export --full (PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK): the PDH and the ASK come from the chain itself.</summary>
    [Fact]
    public void FullExport_VerifiesAndYieldsThePdh()
    {
        var platform = SimulatedPlatforms.Sev;
        var evidence = new PlatformEvidence([], platform.FullChain);
        var trust = new PlatformTrust { ExtraRootFingerprints = [platform.RootFingerprint] };
        var result = Profile.VerifyChain(evidence, trust);
        Assert.Equal(platform.RootFingerprint, result.RootFingerprint);
        Assert.Equal(SevChainVerifier.ExtraRootName, result.RootName);
        Assert.Equal(platform.PdhCertificate, Profile.SelectPdh(evidence));
        Assert.Same(Profile, PlatformRegistry.Default.TryRecognize(platform.PdhCertificate));

        var random = new RoundTripRandom("sev/full-export");
        WithContext(random, () => LaunchRoundTrip.Run(Profile, platform, Profile.SelectPdh(evidence), random));
    }

    internal static byte[] VerifiedPdh(ISoftwarePlatform platform)
    {
        var evidence = EvidenceOf(platform);
        var result = Profile.VerifyChain(evidence, TrustFor(platform));
        Assert.Equal(PlatformKind.Sev, result.Platform);
        Assert.Equal(platform.RootFingerprint, result.RootFingerprint);
        Assert.False(result.RootPinned);
        Assert.Equal(
            [SevChainVerifier.ArkSelf, SevChainVerifier.ArkToAsk, SevChainVerifier.AskToCek, SevChainVerifier.CekToPek,
             SevChainVerifier.OcaSelf, SevChainVerifier.OcaToPek, SevChainVerifier.PekToPdh],
            result.VerifiedLinks);
        return Profile.SelectPdh(evidence);
    }
}
