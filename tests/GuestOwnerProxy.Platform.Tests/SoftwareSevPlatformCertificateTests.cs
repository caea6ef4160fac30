using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;
using static GuestOwnerProxy.Platform.Tests.SevCertificateChecker;

namespace GuestOwnerProxy.Platform.Tests;

public class SoftwareSevPlatformCertificateTests
{
    internal static readonly Lazy<SoftwareSevPlatform> Platform = new(() =>
        SoftwareSevPlatform.Create(new SoftwarePlatformOptions { Seed = "sev certificate tests"u8.ToArray() }));

    [VectorFact]
    public void Checker_VerifiesTheRealNaplesChain_S10()
    {
        byte[] ark = Vectors.Read("amd/builtin/naples/ark.cert");
        byte[] ask = Vectors.Read("amd/builtin/naples/ask.cert");
        byte[] cek = Vectors.Read("amd/naples/cek.cert");
        byte[] oca = Vectors.Read("amd/naples/oca.cert");
        byte[] pek = Vectors.Read("amd/naples/pek.cert");
        byte[] pdh = Vectors.Read("amd/naples/pdh.cert");
        Assert.True(CaSignedBy(ark, ark));
        Assert.True(CaSignedBy(ask, ark));
        Assert.True(RsaSignedBy(cek, ask));
        Assert.True(EcSignedBy(oca, 0x1001, oca));
        Assert.True(EcSignedBy(pek, 0x1001, oca));
        Assert.True(EcSignedBy(pek, 0x1004, cek));
        Assert.True(EcSignedBy(pdh, 0x1002, pek));
    }

    [Fact]
    public void Chain_HasTheNaplesSizesAndOrder()
    {
        var p = Platform.Value;
        Assert.Equal(PlatformKind.Sev, p.Kind);
        Assert.Equal(2084, p.PdhCertificate.Length);
        Assert.Equal(6252, p.CertificateChain.Length);
        Assert.Equal(832, p.RootCertificate.Length);
        Assert.Equal(832, p.Intermediate.Length);
        Assert.Equal(10000, p.FullChain.Length);
        Assert.Equal(p.PdhCertificate, p.FullChain[..2084]);
        Assert.Equal(p.CertificateChain, p.FullChain[2084..8336]);
        Assert.Equal(p.Intermediate, p.FullChain[8336..9168]);
        Assert.Equal(p.RootCertificate, p.FullChain[9168..]);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(p.RootCertificate)).ToLowerInvariant(), p.RootFingerprint);
    }

    [Fact]
    public void Chain_EveryLinkVerifiesWithDotNet()
    {
        var p = Platform.Value;
        byte[] ark = p.RootCertificate, ask = p.Intermediate, chain = p.CertificateChain, pdh = p.PdhCertificate;
        byte[] pek = chain[..2084], oca = chain[2084..4168], cek = chain[4168..];

        Assert.Equal(0x00u, Usage(ark, 36));
        Assert.Equal(0x13u, Usage(ask, 36));
        Assert.Equal((2048u, 2048u), (Usage(ark, 56), Usage(ark, 60)));
        Assert.True(CaSignedBy(ark, ark));
        Assert.True(CaSignedBy(ask, ark));
        Assert.False(CaSignedBy(ask, ask));

        Assert.Equal((0x1004u, 0x2u), (Usage(cek, 8), Usage(cek, 12)));
        Assert.Equal((0x13u, 0x1u), (Usage(cek, 0x414), Usage(cek, 0x418)));
        Assert.True(RsaSignedBy(cek, ask));
        Assert.False(RsaSignedBy(cek, ark));

        Assert.True(EcSignedBy(oca, 0x1001, oca));
        Assert.True(EcSignedBy(pek, 0x1001, oca));
        Assert.True(EcSignedBy(pek, 0x1004, cek));
        Assert.False(EcSignedBy(pek, 0x1004, oca));
        // AMD order: OCA signature in slot 1, CEK signature in slot 2.
        Assert.Equal(0x414, Slot(pek, 0x1001));
        Assert.Equal(0x61C, Slot(pek, 0x1004));

        Assert.Equal((0x1003u, 0x3u), (Usage(pdh, 8), Usage(pdh, 12)));
        Assert.True(EcSignedBy(pdh, 0x1002, pek));
        Assert.Equal(0x1000u, Usage(pdh, 0x61C));
    }

    [Fact]
    public void Pdh_TamperedByte_FailsVerification()
    {
        var p = Platform.Value;
        byte[] pdh = p.PdhCertificate;
        pdh[0x0C] ^= 0x01;
        Assert.False(EcSignedBy(pdh, 0x1002, p.CertificateChain[..2084]));
    }

    [Fact]
    public void Rsa4096_GivesARomeShapedChain()
    {
        // Unseeded: a seeded RSA-4096 key takes many seconds in BouncyCastle; the layout is the same.
        var p = SoftwareSevPlatform.Create(new SoftwarePlatformOptions { SevRsa4096 = true });
        Assert.Equal(1600, p.RootCertificate.Length);
        Assert.Equal(11536, p.FullChain.Length);
        byte[] cek = p.CertificateChain[4168..];
        Assert.Equal(0x101u, Usage(cek, 0x418));
        Assert.True(CaSignedBy(p.RootCertificate, p.RootCertificate));
        Assert.True(CaSignedBy(p.Intermediate, p.RootCertificate));
        Assert.True(RsaSignedBy(cek, p.Intermediate));
    }

    private static uint Usage(byte[] cert, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(cert.AsSpan(offset));
}
