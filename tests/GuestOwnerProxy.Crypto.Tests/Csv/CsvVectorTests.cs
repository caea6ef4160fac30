using System.Text;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Csv;

namespace GuestOwnerProxy.Crypto.Tests.Csv;

/// <summary>Hygon CSV known answers H1–H8 (shared/vectors/README.md).</summary>
public class CsvVectorTests
{
    private static readonly byte[] DefaultSm2Id = "1234567812345678"u8.ToArray();

    [Fact]
    public void H1_KdfDoublePass()
    {
        var derived = CsvKdf.Derive(new byte[16], 16, new byte[16], "csv-master-secret");
        Assert.Equal("19e8d550e3a799b2917bc59146aaadae", Vectors.ToHex(derived));

        // The single pass gives the value the vector table calls wrong: the second pass matters.
        byte[] p = [.. new byte[16], .. Encoding.ASCII.GetBytes("csv-master-secret"), 0, .. new byte[16]];
        Assert.Equal("0ef59d14cd2e35f7c36ee08bae8dfd00", Vectors.ToHex(CsvKdf.Sm2Kdf(p, 32).AsSpan(0, 16)));
    }

    [Fact]
    public void H2_HmacSm3() =>
        Assert.Equal("5f08f19a7d6d8aceb7a6955b1533173cdd342039d4f76a117fe1aaaab7b27fec",
            Vectors.ToHex(Sm3.Hmac(new byte[16], new byte[4])));

    [Fact]
    public void H3_Sm3()
    {
        var input = Vectors.Hex("67c6697351ff4aec29cdbaabf2fbe3467cc254f81be8e78d765a2e63339fc99a66320db73158a35a255d051758e95ed4abb2cdc69bb454110e827441213ddc87"
            + "70e93ea141e1fc673e017e97eadc6b96");
        Assert.Equal("134c086221f6f79b1c15f5b9764aa280520fa0e9d4826ab1590677f382150399", Vectors.ToHex(Sm3.Hash(input)));
    }

    [VectorFact]
    public void H4_HrkSelfSignature()
    {
        var hrk = CsvCaCertificate.Parse(Vectors.Read("hygon/hrk.cert"), "HRK");
        Assert.Equal(CsvChainVerifier.HygonHrkFingerprint, hrk.Fingerprint);
        Assert.Equal("HYGON-SSD-HRK", hrk.UserId);
        Assert.Equal(CsvUsage.Hrk, hrk.Usage);
        Assert.True(hrk.IsSelfSigned);
        Assert.False(hrk.VerifySignature(hrk.PublicKey, DefaultSm2Id));
    }

    [VectorFact]
    public void H5_HrkSignsHsk()
    {
        var hrk = CsvCaCertificate.Parse(Vectors.Read("hygon/hrk.cert"), "HRK");
        var hsk = CsvCaCertificate.Parse(Vectors.Read("hygon/hsk.cert"), "HSK");
        Assert.Equal("3ae86a9701355cce333a589de21583d7", Vectors.ToHex(hrk.KeyId));
        Assert.Equal("3ae86a9701355cce333a589de21583d7", Vectors.ToHex(hsk.CertifyingId));
        Assert.Equal(CsvUsage.Hsk, hsk.Usage);
        Assert.Equal("HYGON-SSD-HSK", hsk.UserId);
        Assert.True(hsk.IsSignedBy(hrk));
        Assert.False(hsk.IsSignedBy(hsk));
    }

    [VectorFact]
    public void H6_HskSignsCek_WithTheHskUserIdOnly()
    {
        var hsk = CsvCaCertificate.Parse(Vectors.Read("hygon/hsk.cert"), "HSK");
        var cek = CsvCertificate.Parse(Vectors.Read("hygon/cek.cert"), "CEK");
        Assert.Equal(CsvUsage.Hsk, cek.Signature1.Usage);
        Assert.Equal(CsvAlgorithm.Sm2Sign, cek.Signature1.Algorithm);
        Assert.True(cek.Signature2.IsEmpty);
        Assert.True(cek.IsSignedBy(hsk));
        Assert.True(cek.VerifySignature(CsvUsage.Hsk, hsk.PublicKey, "HYGON-SSD-HSK"u8));
        Assert.False(cek.VerifySignature(CsvUsage.Hsk, hsk.PublicKey, DefaultSm2Id));
        // Same signature claimed by another usage is not looked at: slots match by usage.
        Assert.False(cek.VerifySignature(CsvUsage.Oca, hsk.PublicKey, "HYGON-SSD-HSK"u8));
    }

    [VectorFact]
    public void H7_ParseCek()
    {
        var cek = CsvCertificate.Parse(Vectors.Read("hygon/cek.cert"), "CEK");
        Assert.Equal(2u, cek.Version);
        Assert.Equal(1, cek.ApiMajor);
        Assert.Equal(1, cek.ApiMinor);
        Assert.Equal(CsvUsage.Cek, cek.Usage);
        Assert.Equal(0x1004u, (uint)cek.Usage);
        Assert.Equal(CsvAlgorithm.Sm2Sign, cek.Algorithm);
        Assert.Equal(CsvCurve.Sm2P256, cek.Curve);
        Assert.Equal("HYGON-SSD-CEK", cek.UserId);
        Assert.Equal("6e1009311eb0e448f7320da5ce2d4d47", Vectors.ToHex(cek.Sid));
        var hsk = CsvCaCertificate.Parse(Vectors.Read("hygon/hsk.cert"), "HSK");
        Assert.Equal(Vectors.ToHex(hsk.KeyId), Vectors.ToHex(cek.Sid));
        Assert.True(Sm2.IsValidPublicKey(cek.PublicKeyX, cek.PublicKeyY));
        // Coordinates are stored little-endian: the first file byte is the last big-endian byte.
        Assert.Equal(Vectors.Read("hygon/cek.cert")[CsvCertificateLayout.Platform.PublicKeyX], cek.PublicKeyX[31]);
    }

    [VectorFact]
    public void H8_FlippingSignedBytesInvalidatesTheSignature()
    {
        var hrkBytes = Vectors.Read("hygon/hrk.cert");
        var hskBytes = Vectors.Read("hygon/hsk.cert");
        var cekBytes = Vectors.Read("hygon/cek.cert");
        var hrk = CsvCaCertificate.Parse(hrkBytes);
        var hsk = CsvCaCertificate.Parse(hskBytes);

        int checkedBytes = 0;
        foreach (int i in Positions(CsvCertificateLayout.Ca.SignedLength))
        {
            Assert.False(Valid(() => CsvCaCertificate.Parse(Flip(hrkBytes, i)).IsSelfSigned), $"HRK byte 0x{i:x3}");
            Assert.False(Valid(() => CsvCaCertificate.Parse(Flip(hskBytes, i)).IsSignedBy(hrk)), $"HSK byte 0x{i:x3}");
            checkedBytes += 2;
        }
        foreach (int i in Positions(CsvCertificateLayout.Platform.SignedLength))
        {
            Assert.False(Valid(() => CsvCertificate.Parse(Flip(cekBytes, i)).IsSignedBy(hsk)), $"CEK byte 0x{i:x3}");
            checkedBytes++;
        }
        Assert.True(checkedBytes > 400);

        // Flipping the signature itself (r and s) invalidates it too.
        Assert.False(CsvCaCertificate.Parse(Flip(hskBytes, CsvCertificateLayout.Ca.SignatureR)).IsSignedBy(hrk));
        Assert.False(CsvCaCertificate.Parse(Flip(hskBytes, CsvCertificateLayout.Ca.SignatureS + 31)).IsSignedBy(hrk));
        Assert.False(CsvCertificate.Parse(Flip(cekBytes, CsvCertificateLayout.Platform.Signature1 + CsvCertificateLayout.Platform.SlotR)).IsSignedBy(hsk));
        // ...while bytes outside the signed region and the signature do not matter.
        Assert.True(CsvCertificate.Parse(Flip(cekBytes, CsvCertificateLayout.Platform.Size - 1)).IsSignedBy(hsk));
    }

    /// <summary>Every byte of the headers (ids, usage, curve, start of the key), then every 5th byte
    /// (keys, user id, reserved), and the last signed byte: each field of the signed region is hit
    /// at least once while the test stays a few seconds long.</summary>
    private static IEnumerable<int> Positions(int signedLength)
    {
        for (int i = 0; i < signedLength; i++)
        {
            if (i < 0x60 || i % 5 == 0 || i == signedLength - 1)
                yield return i;
        }
    }

    /// <summary>"Invalid" is either a failed verification or a refusal to parse (unknown id, key off the curve).</summary>
    private static bool Valid(Func<bool> verify)
    {
        try
        {
            return verify();
        }
        catch (InvalidCertificateException)
        {
            return false;
        }
    }

    private static byte[] Flip(byte[] original, int index)
    {
        var copy = (byte[])original.Clone();
        copy[index] ^= 0x01;
        return copy;
    }
}
