using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Csv;
using P = GuestOwnerProxy.Crypto.Csv.CsvCertificateLayout.Platform;
using C = GuestOwnerProxy.Crypto.Csv.CsvCertificateLayout.Ca;

namespace GuestOwnerProxy.Crypto.Tests.Csv;

public class CsvCertificateTests
{
    [VectorFact]
    public void RealCek_ParseKeepsBytes_AndRebuildingFromFieldsGivesTheSameBytes()
    {
        var bytes = Vectors.Read("hygon/cek.cert");
        var cek = CsvCertificate.Parse(bytes, "CEK");
        Assert.True(bytes.AsSpan().SequenceEqual(cek.ToArray()));

        var rebuilt = CsvCertificate.Create(cek.Version, cek.ApiMajor, cek.ApiMinor, cek.Usage, cek.Algorithm,
            cek.PublicKeyX, cek.PublicKeyY, cek.UserIdBytes, cek.Sid, cek.Signature1, cek.Signature2);
        Assert.Equal(Vectors.ToHex(bytes), Vectors.ToHex(rebuilt.ToArray()));
    }

    [VectorTheory]
    [InlineData("hygon/hrk.cert")]
    [InlineData("hygon/hsk.cert")]
    public void RealCaCertificates_RebuildFromFields(string file)
    {
        var bytes = Vectors.Read(file);
        var ca = CsvCaCertificate.Parse(bytes);
        var rebuilt = CsvCaCertificate.Create(ca.Version, ca.KeyId, ca.CertifyingId, ca.Usage, ca.PublicKeyX, ca.PublicKeyY,
            ca.UserIdBytes, ca.SignatureR, ca.SignatureS);
        Assert.Equal(Vectors.ToHex(bytes), Vectors.ToHex(rebuilt.ToArray()));
    }

    [VectorFact]
    public void HskCekFileIsHskFollowedByCek()
    {
        var file = Vectors.Read("hygon/hsk_cek.cert");
        Assert.Equal(CsvCertificateLayout.HskCekSize, file.Length);
        Assert.Equal(CsvUsage.Hsk, CsvCaCertificate.Parse(file.AsSpan(0, C.Size)).Usage);
        Assert.Equal(CsvUsage.Cek, CsvCertificate.Parse(file.AsSpan(C.Size)).Usage);
    }

    [VectorFact]
    public void ToArrayIsACopy()
    {
        var cek = CsvCertificate.Parse(Vectors.Read("hygon/cek.cert"));
        var copy = cek.ToArray();
        copy[0] ^= 0xff;
        Assert.Equal(2u, CsvCertificate.Parse(cek.ToArray()).Version);
    }

    [VectorTheory]
    [InlineData(0)]
    [InlineData(2083)]
    [InlineData(2085)]
    [InlineData(6252)]
    public void PlatformCertificate_WrongSize(int size)
    {
        var bytes = new byte[size];
        Vectors.Read("hygon/cek.cert").AsSpan(0, Math.Min(size, 2084)).CopyTo(bytes);
        var e = Assert.Throws<InvalidCertificateException>(() => CsvCertificate.Parse(bytes, "PEK"));
        Assert.Equal("PEK", e.Certificate);
        Assert.Contains($"size {size} bytes", e.Message);
        Assert.Contains("2084", e.Message);
    }

    [Fact]
    public void PlatformCertificate_Garbage()
    {
        var garbage = new byte[P.Size];
        Array.Fill(garbage, (byte)0xa5);
        var e = Assert.Throws<InvalidCertificateException>(() => CsvCertificate.Parse(garbage, "PDH"));
        Assert.StartsWith("PDH:", e.Message);
        Assert.Contains("usage 0xa5a5a5a5", e.Message);
    }

    [VectorTheory]
    [InlineData(P.Usage, 0x1005u, "usage 0x1005")]
    [InlineData(P.Usage, 0x0013u, "usage 0x0013 (Hsk)")] // a CA usage in a platform certificate
    [InlineData(P.Algorithm, 7u, "algorithm 7")]
    [InlineData(P.Algorithm, 1u, "algorithm 1")] // an AMD algorithm id
    [InlineData(P.Curve, 2u, "curve id 2")]
    [InlineData(P.Signature1 + P.SlotUsage, 0x1234u, "signature 1 usage 0x1234")]
    [InlineData(P.Signature2 + P.SlotAlgorithm, 9u, "signature 2 algorithm 9")]
    public void PlatformCertificate_UnknownIds(int offset, uint value, string expected)
    {
        var bytes = Vectors.Read("hygon/cek.cert");
        BitConverter.TryWriteBytes(bytes.AsSpan(offset), value);
        var e = Assert.Throws<InvalidCertificateException>(() => CsvCertificate.Parse(bytes, "CEK"));
        Assert.Equal("CEK", e.Certificate);
        Assert.Contains(expected, e.Message);
    }

    [VectorFact]
    public void PlatformCertificate_UserIdTooLong()
    {
        var bytes = Vectors.Read("hygon/cek.cert");
        BitConverter.TryWriteBytes(bytes.AsSpan(P.UserIdLength), (ushort)300);
        var e = Assert.Throws<InvalidCertificateException>(() => CsvCertificate.Parse(bytes, "CEK"));
        Assert.Contains("CEK", e.Message);
        Assert.Contains("user id length 300", e.Message);
        Assert.Contains("254", e.Message);
    }

    [VectorFact]
    public void UserIdOf254BytesIsAccepted()
    {
        var bytes = Vectors.Read("hygon/cek.cert");
        BitConverter.TryWriteBytes(bytes.AsSpan(P.UserIdLength), (ushort)254);
        Assert.Equal(254, CsvCertificate.Parse(bytes).UserIdBytes.Length);
    }

    [VectorFact]
    public void PublicKeyOffTheCurve_IsRejectedWhenUsed()
    {
        var bytes = Vectors.Read("hygon/cek.cert");
        bytes[P.PublicKeyY] ^= 0x01;
        var cek = CsvCertificate.Parse(bytes, "CEK");
        Assert.False(Sm2.IsValidPublicKey(cek.PublicKeyX, cek.PublicKeyY));
        var e = Assert.Throws<InvalidCertificateException>(() => cek.PublicKey);
        Assert.Contains("CEK", e.Message);
        Assert.Contains("not a point on sm2p256v1", e.Message);
    }

    [Theory]
    [InlineData(831)]
    [InlineData(833)]
    [InlineData(2916)]
    public void CaCertificate_WrongSize(int size)
    {
        var e = Assert.Throws<InvalidCertificateException>(() => CsvCaCertificate.Parse(new byte[size], "HSK"));
        Assert.Equal("HSK", e.Certificate);
        Assert.Contains($"size {size} bytes", e.Message);
        Assert.Contains("832", e.Message);
    }

    [VectorTheory]
    [InlineData(C.Usage, 0x1002u, "usage 0x1002 (Pek)")]
    [InlineData(C.Usage, 0x14u, "usage 0x0014")]
    [InlineData(C.Curve, 1u, "curve id 1")]
    [InlineData(C.UserIdLength, 300u, "user id length 300")]
    public void CaCertificate_BadFields(int offset, uint value, string expected)
    {
        var bytes = Vectors.Read("hygon/hsk.cert");
        if (offset == C.UserIdLength)
            BitConverter.TryWriteBytes(bytes.AsSpan(offset), (ushort)value);
        else
            BitConverter.TryWriteBytes(bytes.AsSpan(offset), value);
        var e = Assert.Throws<InvalidCertificateException>(() => CsvCaCertificate.Parse(bytes, "HSK"));
        Assert.Equal("HSK", e.Certificate);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void LittleEndianFieldConversionRoundTrips()
    {
        var field = new byte[CsvCertificateLayout.FieldSize];
        for (int i = 0; i < 32; i++)
            field[i] = (byte)(i + 1);
        var bigEndian = Sm2.FieldToBigEndian(field);
        Assert.Equal(32, bigEndian[0]);
        Assert.Equal(1, bigEndian[31]);
        var back = new byte[CsvCertificateLayout.FieldSize];
        back.AsSpan().Fill(0xee);
        Sm2.BigEndianToField(bigEndian, back);
        Assert.Equal(Vectors.ToHex(field), Vectors.ToHex(back));
    }

    [Fact]
    public void CreatedCertificatesSignAndVerifyBySlotUsage()
    {
        var chain = new TestCsvChain(7);
        Assert.True(chain.Pek.IsSignedBy(chain.CekSigned));
        Assert.True(chain.Pek.IsSignedBy(chain.Oca));
        Assert.Equal(CsvUsage.Cek, chain.Pek.Signature1.Usage);
        Assert.Equal(CsvUsage.Oca, chain.Pek.Signature2.Usage);

        // Swapping the slots (AMD order) still verifies: slots are matched by usage.
        var swapped = chain.Pek.WithSignature(1, chain.Pek.Signature2).WithSignature(2, chain.Pek.Signature1);
        Assert.True(swapped.IsSignedBy(chain.CekSigned));
        Assert.True(swapped.IsSignedBy(chain.Oca));
        Assert.False(chain.Pdh.IsSignedBy(chain.Oca));
    }
}
