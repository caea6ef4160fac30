using GuestOwnerProxy.Crypto.Common;
using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Sev;

public class AmdCaCertificateTests
{
    public static TheoryData<string> Generations => new() { "naples", "rome", "milan", "genoa", "turin" };

    [VectorTheory]
    [MemberData(nameof(Generations))]
    public void BuiltinArk_MatchesPin_AndIsSelfSigned(string generation)
    {
        var bytes = Read($"amd/builtin/{generation}/ark.cert");
        var ark = AmdCaCertificate.Parse(bytes, "ARK", SevUsage.Ark);
        Assert.Equal(ToHex(SHA256.HashData(bytes)), ark.Fingerprint);
        Assert.Equal(AmdRootPins.ByGeneration[generation], ark.Fingerprint);
        Assert.Equal(generation, AmdRootPins.GenerationOf(ark.Fingerprint.ToUpperInvariant()));
        Assert.True(ark.IsSelfCertified);
        Assert.True(ark.IsSignedBy(ark));
        Assert.Equal(generation == "naples" ? 2048 : 4096, ark.ModulusBits);
    }

    [VectorTheory]
    [MemberData(nameof(Generations))]
    public void S12_BuiltinAsk_VerifiesUnderItsOwnArkOnly(string generation)
    {
        var ask = AmdCaCertificate.Parse(Read($"amd/builtin/{generation}/ask.cert"), "ASK", SevUsage.Ask);
        var ark = AmdCaCertificate.Parse(Read($"amd/builtin/{generation}/ark.cert"), "ARK", SevUsage.Ark);
        Assert.Equal(ark.KeyId, ask.CertifyingId);
        Assert.True(ask.IsSignedBy(ark));
        Assert.False(ask.IsSignedBy(ask));
        foreach (var other in Generations)
        {
            if (other == generation)
                continue;
            var otherArk = AmdCaCertificate.Parse(Read($"amd/builtin/{other}/ark.cert"), "ARK");
            Assert.False(ask.IsSignedBy(otherArk));
        }
    }

    [VectorFact]
    public void S12_NaplesCek_DoesNotVerifyUnderRomeAsk()
    {
        var cek = SevCertificate.Parse(Read("amd/naples/cek.cert"), "CEK");
        var naplesAsk = AmdCaCertificate.Parse(Read("amd/builtin/naples/ask.cert"), "ASK");
        var romeAsk = AmdCaCertificate.Parse(Read("amd/builtin/rome/ask.cert"), "ASK");
        Assert.True(SevSignatureVerifier.IsSignedBy(cek, naplesAsk));
        Assert.False(SevSignatureVerifier.IsSignedBy(cek, romeAsk));
    }

    [VectorFact]
    public void S11_NaplesArkQuirk_BadPlusSignatureIsTheBuiltinArk()
    {
        var body = Read("amd/naples/ark.cert.bad");
        var sig = Read("amd/naples/ark.cert.sig");
        Assert.Equal(576, body.Length);
        Assert.Equal(256, sig.Length);
        Assert.Equal(Read("amd/builtin/naples/ark.cert"), (byte[])[.. body, .. sig]);

        var ark = AmdCaCertificate.CombineUnsigned(body, sig);
        Assert.Equal(AmdRootPins.Naples, ark.Fingerprint);
        Assert.True(ark.IsSignedBy(ark));

        var ex = Assert.Throws<InvalidCertificateException>(() => AmdCaCertificate.Parse(body, "ARK"));
        Assert.Contains("ark.cert.bad", ex.Message);
        Assert.Throws<InvalidCertificateException>(() => AmdCaCertificate.CombineUnsigned(body, sig.AsSpan(0, 255)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(831)]
    [InlineData(833)]
    [InlineData(1599)]
    [InlineData(2084)]
    public void Parse_WrongSize_Rejected(int size)
    {
        var ex = Assert.Throws<InvalidCertificateException>(() => AmdCaCertificate.Parse(new byte[size], "ASK"));
        Assert.Contains($"size {size}", ex.Message);
    }

    [VectorFact]
    public void Parse_SizeNotMatchingModulus_Rejected()
    {
        var data = Read("amd/builtin/naples/ark.cert");
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(AmdCaCertificateLayout.ModulusBits), 4096);
        var ex = Assert.Throws<InvalidCertificateException>(() => AmdCaCertificate.Parse(data, "ARK"));
        Assert.Contains("4096-bit", ex.Message);
    }

    [VectorTheory]
    [InlineData(AmdCaCertificateLayout.Version, 3u, "version 3")]
    [InlineData(AmdCaCertificateLayout.Usage, 0x1004u, "usage 0x1004")]
    [InlineData(AmdCaCertificateLayout.ModulusBits, 3072u, "modulus size 3072")]
    [InlineData(AmdCaCertificateLayout.ExponentBits, 0u, "exponent size 0")]
    public void Parse_BadField_NamesIt(int offset, uint value, string expected)
    {
        var data = Read("amd/builtin/rome/ask.cert");
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(offset), value);
        var ex = Assert.Throws<InvalidCertificateException>(() => AmdCaCertificate.Parse(data, "ASK"));
        Assert.Contains(expected, ex.Message);
        Assert.Equal("ASK", ex.Certificate);
    }

    [VectorFact]
    public void Parse_HygonCaCertificate_IsNotAnAmdCertificate()
    {
        Assert.Throws<InvalidCertificateException>(() => AmdCaCertificate.Parse(Read("hygon/hrk.cert"), "ARK"));
        Assert.Throws<InvalidCertificateException>(() => AmdCaCertificate.Parse(Read("hygon/hsk.cert"), "ASK"));
    }

    public enum Rejection { NotSelfCertified, BadSignature, InvalidExponent }

    [VectorTheory]
    [InlineData(4, Rejection.NotSelfCertified)]      // key id: no longer equal to the certifying id
    [InlineData(20, Rejection.NotSelfCertified)]     // certifying id
    [InlineData(64, Rejection.InvalidExponent)]      // lowest exponent byte: 65537 -> 65536, even
    [InlineData(70, Rejection.BadSignature)]         // exponent area (high bytes): odd, parses, signature fails
    [InlineData(600, Rejection.BadSignature)]        // modulus
    [InlineData(900, Rejection.BadSignature)]        // modulus (RSA-4096: modulus spans 576..1088)
    [InlineData(1200, Rejection.BadSignature)]       // signature
    public void TamperedArk_IsRejectedForTheRightReason(int offset, Rejection expected)
    {
        var data = Read("amd/builtin/rome/ark.cert");
        data[offset] ^= 0x01;
        if (expected == Rejection.InvalidExponent)
        {
            var ex = Assert.Throws<InvalidCertificateException>(() => AmdCaCertificate.Parse(data, "ARK"));
            Assert.Contains("exponent", ex.Message);
            return;
        }
        var ark = AmdCaCertificate.Parse(data, "ARK");
        Assert.NotEqual(AmdRootPins.Rome, ark.Fingerprint);
        Assert.Equal(expected == Rejection.BadSignature, ark.IsSelfCertified);
        Assert.False(ark.IsSignedBy(ark));
        // The signature check itself fails, whatever the ids say.
        Assert.False(ark.VerifyPss(ark.SignedBytes, ByteOrder.Reversed(data.AsSpan(AmdCaCertificateLayout.Signature(512), 512))));
        var untouched = AmdCaCertificate.Parse(Read("amd/builtin/rome/ark.cert"), "ARK");
        Assert.True(untouched.VerifyPss(untouched.SignedBytes, ByteOrder.Reversed(
            Read("amd/builtin/rome/ark.cert").AsSpan(AmdCaCertificateLayout.Signature(512), 512))));
    }

    [VectorFact]
    public void Ask_WithForeignCertifyingId_NotSignedByArk()
    {
        var data = Read("amd/builtin/milan/ask.cert");
        data[AmdCaCertificateLayout.CertifyingId] ^= 0x80;
        var ask = AmdCaCertificate.Parse(data, "ASK");
        var ark = AmdCaCertificate.Parse(Read("amd/builtin/milan/ark.cert"), "ARK");
        Assert.False(ask.IsSignedBy(ark));
    }
}
