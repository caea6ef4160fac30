using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Sev;

public class SevCertificateTests
{
    [VectorTheory]
    [InlineData("amd/naples/pdh.cert", SevUsage.Pdh, SevAlgorithm.EcdhSha256)]
    [InlineData("amd/naples/pek.cert", SevUsage.Pek, SevAlgorithm.EcdsaSha256)]
    [InlineData("amd/naples/oca.cert", SevUsage.Oca, SevAlgorithm.EcdsaSha256)]
    [InlineData("amd/naples/cek.cert", SevUsage.Cek, SevAlgorithm.EcdsaSha256)]
    [InlineData("more/rome/pdh.cert", SevUsage.Pdh, SevAlgorithm.EcdhSha256)]
    [InlineData("more/rome/cek.cert", SevUsage.Cek, SevAlgorithm.EcdsaSha256)]
    public void Parse_RealCertificates(string file, SevUsage usage, SevAlgorithm algorithm)
    {
        var bytes = Read(file);
        var cert = SevCertificate.Parse(bytes, "test");
        Assert.Equal(1u, cert.Version);
        Assert.Equal(usage, cert.Usage);
        Assert.Equal(algorithm, cert.Algorithm);
        Assert.Equal(SevCurve.P384, cert.Curve);
        Assert.Equal(bytes, cert.ToArray());
        var q = cert.GetEcParameters().Q;
        Assert.Equal(48, q.X!.Length);
        // X is stored little-endian at 0x14.
        Assert.Equal(bytes[0x14], q.X[47]);
        using var key = ECDsa.Create(cert.GetEcParameters()); // a valid point on P-384
    }

    [VectorFact]
    public void Parse_NaplesPek_HasOcaAndCekSignatures()
    {
        var pek = SevCertificate.Parse(Read("amd/naples/pek.cert"), "PEK", SevUsage.Pek);
        Assert.Equal(0, pek.ApiMajor);
        Assert.Equal(16, pek.ApiMinor);
        Assert.Equal(SevUsage.Oca, pek.Signatures[0].Usage);
        Assert.Equal(SevUsage.Cek, pek.Signatures[1].Usage);
        Assert.NotNull(pek.FindSignature(SevUsage.Cek));
        Assert.Null(pek.FindSignature(SevUsage.Ask));
        var pdh = SevCertificate.Parse(Read("amd/naples/pdh.cert"), "PDH");
        Assert.True(pdh.Signatures[1].IsEmpty);
    }

    [VectorFact]
    public void Parse_NaplesCek_HasAskRsaSignature()
    {
        var cek = SevCertificate.Parse(Read("amd/naples/cek.cert"), "CEK");
        var slot = cek.FindSignature(SevUsage.Ask);
        Assert.NotNull(slot);
        Assert.Equal(SevAlgorithm.RsaSha256, slot!.Algorithm);
        var rome = SevCertificate.Parse(Read("more/rome/cek.cert"), "CEK");
        Assert.Equal(SevAlgorithm.RsaSha384, rome.FindSignature(SevUsage.Ask)!.Algorithm);
    }

    [VectorFact]
    public void Detection_BySevAlgorithmAndCurve_NotBySize()
    {
        var csv = Read("hygon/cek.cert");
        var sev = Read("amd/naples/cek.cert");
        Assert.Equal(csv.Length, sev.Length);
        Assert.True(SevCertificate.IsSevCertificate(sev));
        Assert.False(SevCertificate.IsSevCertificate(csv));
        Assert.True(SevPlatformProfile.Instance.Recognizes(sev));
        Assert.False(SevPlatformProfile.Instance.Recognizes(csv));

        var ex = Assert.Throws<InvalidCertificateException>(() => SevCertificate.Parse(csv, "CEK"));
        Assert.Contains("algorithm 0x4", ex.Message);
        Assert.Equal("CEK", ex.Certificate);

        // SEV algorithm but CSV's curve 3: not SEV either.
        var hybrid = (byte[])sev.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(hybrid.AsSpan(SevCertificateLayout.EcCurve), 3);
        Assert.False(SevCertificate.IsSevCertificate(hybrid));
        ex = Assert.Throws<InvalidCertificateException>(() => SevCertificate.Parse(hybrid, "PEK"));
        Assert.Contains("curve 3", ex.Message);
    }

    [VectorTheory]
    [InlineData(0)]
    [InlineData(2083)]
    [InlineData(2085)]
    [InlineData(4168)]
    public void Parse_WrongSize_Rejected(int size)
    {
        var data = new byte[size];
        Read("amd/naples/pdh.cert").AsSpan(0, Math.Min(size, 2084)).CopyTo(data);
        var ex = Assert.Throws<InvalidCertificateException>(() => SevCertificate.Parse(data, "PDH"));
        Assert.Contains($"size {size}", ex.Message);
        Assert.Contains("PDH", ex.Message);
    }

    [Fact]
    public void Parse_Garbage_RejectedCleanly()
    {
        var rng = new Random(7);
        for (int i = 0; i < 50; i++)
        {
            var data = new byte[SevCertificateLayout.Size];
            rng.NextBytes(data);
            Assert.Throws<InvalidCertificateException>(() => SevCertificate.Parse(data, "garbage"));
            Assert.False(SevCertificate.IsSevCertificate(data));
        }
        Assert.Throws<InvalidCertificateException>(() => SevCertificate.Parse(new byte[SevCertificateLayout.Size], "zeros"));
    }

    [VectorTheory]
    [InlineData(SevCertificateLayout.Version, 2u, "version 2")]
    [InlineData(SevCertificateLayout.Usage, 0x1005u, "usage 0x1005")]
    [InlineData(SevCertificateLayout.Algorithm, 0x104u, "algorithm 0x104")]
    [InlineData(SevCertificateLayout.EcCurve, 0u, "curve 0")]
    [InlineData(SevCertificateLayout.Signature1, 0x77u, "signature 1 usage 0x77")]
    [InlineData(SevCertificateLayout.Signature2 + 4, 0x9u, "signature 2 algorithm 0x9")]
    public void Parse_UnknownField_NamesFieldAndValue(int offset, uint value, string expected)
    {
        var data = Read("amd/naples/pek.cert");
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(offset), value);
        var ex = Assert.Throws<InvalidCertificateException>(() => SevCertificate.Parse(data, "PEK"));
        Assert.Contains(expected, ex.Message);
        Assert.StartsWith("PEK:", ex.Message);
    }

    [VectorFact]
    public void Parse_KeyComponentBeyondFieldSize_Rejected()
    {
        var data = Read("amd/naples/pek.cert");
        data[SevCertificateLayout.EcX + 60] = 1;
        var ex = Assert.Throws<InvalidCertificateException>(() => SevCertificate.Parse(data, "PEK"));
        Assert.Contains("public key X", ex.Message);
    }

    [VectorFact]
    public void Parse_WrongRole_Rejected()
    {
        var ex = Assert.Throws<InvalidCertificateException>(() =>
            SevCertificate.Parse(Read("amd/naples/pek.cert"), "PDH", SevUsage.Pdh));
        Assert.Contains("usage 0x1002 (PEK), expected 0x1003 (PDH)", ex.Message);
    }

    [VectorFact]
    public void Parse_KeepsOriginalBytes_Immutable()
    {
        var data = Read("amd/naples/oca.cert");
        var cert = SevCertificate.Parse(data, "OCA");
        data[100] ^= 0xff;
        Assert.NotEqual(data[100], cert.RawBytes[100]);
        var copy = cert.ToArray();
        copy[0] = 9;
        Assert.Equal(1, cert.RawBytes[0]);
    }

    [Fact]
    public void CreateGodh_HasFixedHeaderAndEmptySlots_AndRoundTrips()
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var q = key.ExportParameters(false).Q;
        var godh = SevCertificate.CreateGodh(q.X, q.Y);
        var bytes = godh.ToArray();
        Assert.Equal(2084, bytes.Length);
        Assert.Equal("0100000000000000031000000300000002000000", ToHex(bytes.AsSpan(0, 20)));
        Assert.Equal(q.X![47], bytes[SevCertificateLayout.EcX]);
        Assert.Equal(q.Y![0], bytes[SevCertificateLayout.EcY + 47]);
        foreach (int slot in new[] { SevCertificateLayout.Signature1, SevCertificateLayout.Signature2 })
        {
            Assert.Equal("0010000000000000", ToHex(bytes.AsSpan(slot, 8)));
            Assert.False(bytes.AsSpan(slot + 8, 512).ContainsAnyExcept((byte)0));
        }
        var parsed = SevCertificate.Parse(bytes, "GODH", SevUsage.Pdh);
        Assert.Equal(q.X, parsed.GetEcParameters().Q.X);
        Assert.Equal(q.Y, parsed.GetEcParameters().Q.Y);
        Assert.All(parsed.Signatures, s => Assert.True(s.IsEmpty));
    }

    [Fact]
    public void RsaPlatformKey_ParsesAndSelfSignatureVerifies()
    {
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(false);
        var b = new byte[2084];
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x00), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x08), 0x1001);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x0C), 0x101);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x10), 2048);
        p.Exponent!.Reverse().ToArray().CopyTo(b, 0x14);
        p.Modulus!.Reverse().ToArray().CopyTo(b, 0x14 + 512);
        var sig = rsa.SignData(b.AsSpan(0, 0x414).ToArray(), HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x414), 0x1001);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x418), 0x101);
        sig.Reverse().ToArray().CopyTo(b, 0x41C);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x61C), 0x1000);

        var oca = SevCertificate.Parse(b, "OCA", SevUsage.Oca);
        Assert.False(oca.IsEcc);
        Assert.Equal(p.Modulus, oca.GetRsaParameters().Modulus);
        Assert.Equal(p.Exponent, oca.GetRsaParameters().Exponent);
        Assert.True(SevCertificate.IsSevCertificate(b));
        Assert.True(SevSignatureVerifier.IsSignedBy(oca, oca));
        b[0x100] ^= 1;
        Assert.False(SevSignatureVerifier.IsSignedBy(SevCertificate.Parse(b, "OCA"), oca));
        Assert.Throws<InvalidCertificateException>(() => oca.GetEcParameters());
    }
}
