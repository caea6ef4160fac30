using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Sev;

/// <summary>RSA exponent checks, trying every signature slot, skipping bad operator files, extra-root normalisation.</summary>
public class SevKeyAndTrustFileTests
{
    private static byte[] WithExponent(byte[] cert, int n, params byte[] littleEndianExponent)
    {
        var copy = (byte[])cert.Clone();
        copy.AsSpan(AmdCaCertificateLayout.Exponent, n).Clear();
        littleEndianExponent.CopyTo(copy, AmdCaCertificateLayout.Exponent);
        return copy;
    }

    [VectorTheory]
    [InlineData(new byte[] { 0x00, 0x00, 0x01 }, "0x010000")] // 65536: even
    [InlineData(new byte[] { 0x02 }, "0x02")]
    [InlineData(new byte[] { 0x01 }, "0x01")]                  // e = 1: signatures would be trivial
    public void AmdCa_InvalidRsaExponent_IsRejectedAtParseTime(byte[] exponent, string shown)
    {
        var ark = Read("amd/builtin/naples/ark.cert");
        var ex = Assert.Throws<InvalidCertificateException>(() => AmdCaCertificate.Parse(WithExponent(ark, 256, exponent), "ARK"));
        Assert.Equal("ARK", ex.Certificate);
        Assert.Contains("exponent", ex.Message);
        Assert.Contains(shown, ex.Message);
    }

    [VectorFact]
    public void AmdCa_ExponentOpenSslDislikes_FailsVerificationWithoutThrowing()
    {
        // Odd and >= 3, so it parses, but as wide as (and larger than) the modulus: the RSA import or the verification
        // refuses it, which must come out as "not signed", never as an escaping CryptographicException.
        var ark = Read("amd/builtin/naples/ark.cert");
        var huge = Enumerable.Repeat((byte)0xff, 256).ToArray();
        var cert = AmdCaCertificate.Parse(WithExponent(ark, 256, huge), "ARK");
        bool signed = true;
        var error = Record.Exception(() => signed = cert.IsSignedBy(cert));
        Assert.Null(error);
        Assert.False(signed);
    }

    [Fact]
    public void SevPlatformCertificate_EvenRsaExponent_IsRejected()
    {
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(false);
        var b = new byte[SevCertificateLayout.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(SevCertificateLayout.Version), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(SevCertificateLayout.Usage), 0x1001);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(SevCertificateLayout.Algorithm), 0x1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(SevCertificateLayout.RsaModulusBits), 2048);
        var modulus = (byte[])p.Modulus!.Clone();
        Array.Reverse(modulus);
        modulus.CopyTo(b, SevCertificateLayout.RsaModulus);
        b[SevCertificateLayout.RsaExponent] = 0x04;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(SevCertificateLayout.SignatureSlot(0)), 0x1000);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(SevCertificateLayout.SignatureSlot(1)), 0x1000);
        var ex = Assert.Throws<InvalidCertificateException>(() => SevCertificate.Parse(b, "OCA"));
        Assert.Contains("exponent 0x04", ex.Message);
        b[SevCertificateLayout.RsaExponent] = 0x03;
        Assert.Equal(SevAlgorithm.RsaSha256, SevCertificate.Parse(b, "OCA").Algorithm);
    }

    [Fact]
    public void EverySlotWithTheSignersUsageIsTried()
    {
        using var chain = new TestSevChain();
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var oca = SevCertificate.Parse(chain.Oca, "OCA");
        // Slot 1: an OCA-labelled signature by some other key; slot 2: the genuine OCA signature.
        var pek = TestSevChain.PlatformCert(0x1002, 0x2, chain.PekKey.ExportParameters(false).Q);
        TestSevChain.SignEcdsa(pek, 0x414, 0x1001, stranger);
        TestSevChain.SignEcdsa(pek, 0x61C, 0x1001, chain.OcaKey);
        Assert.True(SevSignatureVerifier.IsSignedBy(SevCertificate.Parse(pek, "PEK"), oca));
        Assert.Equal(2, SevCertificate.Parse(pek, "PEK").FindSignatures(SevUsage.Oca).Count);

        // Fails closed: no OCA slot verifies.
        TestSevChain.SignEcdsa(pek, 0x61C, 0x1001, stranger);
        Assert.False(SevSignatureVerifier.IsSignedBy(SevCertificate.Parse(pek, "PEK"), oca));
        // And with no slot of that usage at all.
        Assert.Empty(SevCertificate.Parse(pek, "PEK").FindSignatures(SevUsage.Cek));
    }

    [Fact]
    public void AskSignatureInTheSecondSlot_IsFound()
    {
        using var chain = new TestSevChain();
        var ask = AmdCaCertificate.Parse(chain.Ask, "ASK");
        var cek = (byte[])chain.UnsignedCek.Clone();
        TestSevChain.SignRsa(cek, 0x414, 0x13, chain.ArkKey);  // stale: by the wrong key
        TestSevChain.SignRsa(cek, 0x61C, 0x13, chain.AskKey);
        Assert.True(SevSignatureVerifier.IsSignedBy(SevCertificate.Parse(cek, "CEK"), ask));
    }

    private static PlatformTrust ExtraRootTrust(TestSevChain chain, params byte[][] intermediates) => new()
    {
        RootCertificates = [chain.Ark],
        ExtraRootFingerprints = [chain.ArkFingerprint],
        Intermediates = intermediates,
    };

    [Fact]
    public void MalformedOperatorFiles_AreSkipped_AndTheRestSearched()
    {
        using var chain = new TestSevChain();
        var badCek = (byte[])chain.Cek.Clone();
        badCek[0x14 + 60] = 0x7f;          // X wider than 48 bytes: does not parse
        var badAsk = (byte[])chain.Ask.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(badAsk.AsSpan(AmdCaCertificateLayout.Version), 9);
        var trust = ExtraRootTrust(chain, badCek, badAsk, chain.Ask, chain.Cek);
        Assert.Throws<InvalidCertificateException>(() => SevCertificate.Parse(badCek, "CEK"));
        var result = SevChainVerifier.Verify(chain.Pdh, chain.ShortChain(), trust);
        Assert.Equal("extra", result.RootName);
        Assert.Equal(7, result.VerifiedLinks.Count);
    }

    [Fact]
    public void WhenTheSearchFails_TheErrorSaysWhatWasSkipped()
    {
        using var chain = new TestSevChain();
        var badCek = (byte[])chain.Cek.Clone();
        badCek[0x14 + 60] = 0x7f;
        var ex = Assert.Throws<ChainVerificationException>(() =>
            SevChainVerifier.Verify(chain.Pdh, chain.ShortChain(), ExtraRootTrust(chain, badCek, chain.Ask)));
        Assert.Equal(SevChainVerifier.AskToCek, ex.Link);
        Assert.Contains("skipped", ex.Message);
        Assert.Contains("intermediate #1", ex.Message);
        Assert.Contains("public key X", ex.Message);
    }

    [Theory]
    [InlineData(" ", "")]
    [InlineData("", "\n")]
    [InlineData("\t", " ")]
    public void ExtraRootFingerprint_IsTrimmedAndCaseInsensitive(string before, string after)
    {
        using var chain = new TestSevChain();
        var trust = new PlatformTrust
        {
            RootCertificates = [chain.Ark],
            ExtraRootFingerprints = [before + chain.ArkFingerprint.ToUpperInvariant() + after],
            Intermediates = [chain.Ask, chain.Cek],
        };
        var result = SevChainVerifier.Verify(chain.Pdh, chain.ShortChain(), trust);
        Assert.Equal(SevChainVerifier.ExtraRootName, result.RootName);
        Assert.False(result.RootPinned);
    }
}
