using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;

namespace GuestOwnerProxy.Crypto.Tests.Csv;

public class CsvPlatformProfileTests
{
    private static readonly TestCsvChain Chain = new(21);
    private static readonly CsvPlatformProfile Profile = CsvPlatformProfile.Instance;

    [Fact]
    public void Basics()
    {
        Assert.Equal(PlatformKind.Csv, Profile.Kind);
        Assert.Same(CsvLaunchCrypto.Instance, Profile.Crypto);
    }

    [VectorFact]
    public void RecognizesCsvByAlgorithmAndCurve_NotBySize()
    {
        Assert.True(Profile.Recognizes(Vectors.Read("hygon/cek.cert")));
        Assert.True(Profile.Recognizes(Chain.Pdh.ToArray()));
        Assert.False(Profile.Recognizes(Vectors.Read("amd/naples/pdh.cert")));
        Assert.False(Profile.Recognizes(Vectors.Read("amd/naples/cek.cert")));
        Assert.False(Profile.Recognizes(Vectors.Read("hygon/hrk.cert")));
        Assert.False(Profile.Recognizes(new byte[2084]));
        Assert.False(Profile.Recognizes([]));
    }

    [Fact]
    public void SelectPdh()
    {
        var pdh = Chain.Pdh.ToArray();
        Assert.Equal(pdh, Profile.SelectPdh(new PlatformEvidence(pdh, Chain.CertChain())));
        Assert.Equal(pdh, Profile.SelectPdh(new PlatformEvidence([], [.. pdh, .. Chain.CertChain()])));

        var e = Assert.Throws<InvalidCertificateException>(() => Profile.SelectPdh(new PlatformEvidence([], Chain.CertChain())));
        Assert.Contains("6252", e.Message);
        e = Assert.Throws<InvalidCertificateException>(() => Profile.SelectPdh(new PlatformEvidence(new byte[2000], Chain.CertChain())));
        Assert.Contains("2000", e.Message);
    }

    [Fact]
    public void VerifyChain_BothEvidenceShapes()
    {
        var pdh = Chain.Pdh.ToArray();
        Assert.Equal(7, Profile.VerifyChain(new PlatformEvidence(pdh, Chain.CertChain()), Chain.Trust()).VerifiedLinks.Count);
        Assert.Equal(7, Profile.VerifyChain(new PlatformEvidence([], [.. pdh, .. Chain.CertChain()]), Chain.Trust()).VerifiedLinks.Count);
        Assert.Equal(7, Profile.VerifyChain(new PlatformEvidence(pdh, [.. pdh, .. Chain.CertChain()]), Chain.Trust()).VerifiedLinks.Count);

        var otherPdh = new TestCsvChain(22).Pdh.ToArray();
        Assert.Throws<InvalidCertificateException>(() =>
            Profile.VerifyChain(new PlatformEvidence(otherPdh, [.. pdh, .. Chain.CertChain()]), Chain.Trust()));
        Assert.Equal("PEK->PDH", Assert.Throws<ChainVerificationException>(() =>
            Profile.VerifyChain(new PlatformEvidence(otherPdh, Chain.CertChain()), Chain.Trust())).Link);
        // Nothing trusted: the per-chip hsk_cek is looked up first, then the root.
        Assert.Equal("hsk_cek", Assert.Throws<ChainVerificationException>(() =>
            Profile.VerifyChain(new PlatformEvidence(pdh, Chain.CertChain()), PlatformTrust.BuiltInOnly)).Link);
    }

    [Fact]
    public void CreateSession()
    {
        using var session = Profile.CreateSession(Chain.Pdh.ToArray(), 0x5, new SeededRandom(1));
        Assert.Equal(PlatformKind.Csv, session.Platform);
        Assert.Equal(CsvSessionLayout.Size, session.SessionBlob.Length);
        Assert.True(Profile.Recognizes(session.GodhCertificate));
    }
}
