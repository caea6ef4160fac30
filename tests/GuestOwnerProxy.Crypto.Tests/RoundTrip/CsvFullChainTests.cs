using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>A CSV full export (PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK) carries its own intermediates; its root must still be allowed.</summary>
public class CsvFullChainTests
{
    [Fact]
    public void FullExportVerifiesWhenItsRootIsAllowed()
    {
        var platform = SimulatedPlatforms.CsvDefault;
        Assert.Equal(CsvPlatformProfile.FullChainSize, platform.FullChain.Length);
        var evidence = new PlatformEvidence([], platform.FullChain);
        Assert.Equal(platform.PdhCertificate, CsvPlatformProfile.Instance.SelectPdh(evidence));

        var result = CsvPlatformProfile.Instance.VerifyChain(evidence, new PlatformTrust { ExtraRootFingerprints = [platform.RootFingerprint] });
        Assert.Equal("extra", result.RootName);
        Assert.Contains(CsvChainVerifier.LinkHskCek, result.VerifiedLinks);
        Assert.Contains(CsvChainVerifier.LinkPekPdh, result.VerifiedLinks);
    }

    [Fact]
    public void FullExportWithAnUnallowedRootIsRefused()
    {
        var platform = SimulatedPlatforms.CsvDefault;
        var ex = Assert.Throws<ChainVerificationException>(() =>
            CsvPlatformProfile.Instance.VerifyChain(new PlatformEvidence([], platform.FullChain), PlatformTrust.BuiltInOnly));
        Assert.Equal(CsvChainVerifier.LinkRoot, ex.Link);
    }

    [Fact]
    public void FullExportWithAnotherPlatformsPdhIsRefused()
    {
        var platform = SimulatedPlatforms.CsvDefault;
        var forged = (byte[])platform.FullChain.Clone();
        SimulatedPlatforms.OtherCsv.PdhCertificate.CopyTo(forged, 0);
        var ex = Assert.Throws<ChainVerificationException>(() => CsvPlatformProfile.Instance.VerifyChain(
            new PlatformEvidence([], forged), new PlatformTrust { ExtraRootFingerprints = [platform.RootFingerprint] }));
        Assert.Equal(CsvChainVerifier.LinkPekPdh, ex.Link);
    }
}
