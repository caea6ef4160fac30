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

    [Fact]
    public void LaunchImageWithKernelHashes_RoundTrips()
    {
        using var files = new TempImage();
        var image = files.Image(kernelHashes: true);
        var platform = SimulatedPlatforms.Sev;
        var pdh = VerifiedPdh(platform);
        var random = new RoundTripRandom("sev/launch-image");
        var digest = LaunchDigest.Compute(Profile.Crypto, image);
        Assert.NotNull(digest.HashTable);

        const uint policy = 0x00000005;
        using var session = Profile.CreateSession(pdh, policy, random);
        using var launch = platform.LaunchStart(session.GodhCertificate, session.SessionBlob, policy);
        launch.UpdateData(File.ReadAllBytes(image.OvmfPath));
        launch.UpdateData(digest.HashTable);
        byte[] measurement = launch.Measure();

        var match = MeasurementVerifier.Verify(Profile.Crypto, session.Tik, measurement, Parameters(platform.Version, policy),
            [new DigestCandidate("with hashes", digest.Digest)], [MeasurementFormula.Sev]);
        Assert.NotNull(match);
        var table = new SecretTable().Add(KnownGuids.KeysetBundle, """{"key1":"c2VjcmV0"}"""u8);
        var packet = SecretPacket.Create(Profile.Crypto, session.Tek, session.Tik, match.Measure, table.Build(), random);
        AssertDelivered(table, launch.InjectSecret(packet.Header, packet.Data));
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
