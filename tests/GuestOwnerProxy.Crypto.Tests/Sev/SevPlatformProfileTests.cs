using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Sev;

public class SevPlatformProfileTests
{
    private readonly IPlatformProfile _profile = SevPlatformProfile.Instance;

    [Fact]
    public void Identity()
    {
        Assert.Equal(PlatformKind.Sev, _profile.Kind);
        Assert.Same(SevLaunchCrypto.Instance, _profile.Crypto);
    }

    [VectorTheory]
    [InlineData("amd/naples/pdh.cert", true)]
    [InlineData("amd/naples/cek.cert", true)]
    [InlineData("more/rome/pek.cert", true)]
    [InlineData("hygon/cek.cert", false)]
    [InlineData("hygon/hrk.cert", false)]
    [InlineData("amd/builtin/rome/ark.cert", false)]
    public void Recognizes_ByAlgorithmAndCurve(string file, bool expected) =>
        Assert.Equal(expected, _profile.Recognizes(Read(file)));

    [VectorFact]
    public void SelectPdh_PrefersExplicit_ElseHeadOfFullExport()
    {
        var full = Read("amd/naples/cert_chain_full.bin");
        Assert.Equal(Read("amd/naples/pdh.cert"), _profile.SelectPdh(new PlatformEvidence([], full)));
        var rome = Read("more/rome/pdh.cert");
        Assert.Equal(rome, _profile.SelectPdh(new PlatformEvidence(rome, full)));

        byte[] shortChain = [.. Read("amd/naples/pek.cert"), .. Read("amd/naples/oca.cert"), .. Read("amd/naples/cek.cert")];
        var ex = Assert.Throws<InvalidCertificateException>(() => _profile.SelectPdh(new PlatformEvidence([], shortChain)));
        Assert.Equal("PDH", ex.Certificate);
        Assert.Throws<InvalidCertificateException>(() => _profile.SelectPdh(new PlatformEvidence(Read("amd/naples/pek.cert"), shortChain)));
    }

    [VectorFact]
    public void VerifyChain_FullExportAndExplicitEvidence()
    {
        var full = Read("more/rome/cert_chain_full.bin");
        Assert.Equal("rome", _profile.VerifyChain(new PlatformEvidence([], full), PlatformTrust.BuiltInOnly).RootName);

        byte[] shortChain = [.. Read("amd/naples/pek.cert"), .. Read("amd/naples/oca.cert"), .. Read("amd/naples/cek.cert")];
        var trust = new PlatformTrust
        {
            RootCertificates = [Read("amd/builtin/naples/ark.cert")],
            Intermediates = [Read("amd/builtin/naples/ask.cert")],
        };
        var result = _profile.VerifyChain(new PlatformEvidence(Read("amd/naples/pdh.cert"), shortChain), trust);
        Assert.Equal("naples", result.RootName);
        var ex = Assert.Throws<ChainVerificationException>(() =>
            _profile.VerifyChain(new PlatformEvidence(Read("more/rome/pdh.cert"), shortChain), trust));
        Assert.Equal("PEK->PDH", ex.Link);
    }

    [VectorFact]
    public void CreateSession_FromSelectedPdh()
    {
        var evidence = new PlatformEvidence([], Read("more/rome/cert_chain_full.bin"));
        using var session = _profile.CreateSession(_profile.SelectPdh(evidence), 0x1, SystemRandomSource.Instance);
        Assert.Equal(128, session.SessionBlob.Length);
        Assert.True(_profile.Recognizes(session.GodhCertificate));
    }
}
