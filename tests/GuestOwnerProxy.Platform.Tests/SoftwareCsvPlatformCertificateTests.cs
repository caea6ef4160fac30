using System.Security.Cryptography;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Platform.Csv;

namespace GuestOwnerProxy.Platform.Tests;

public class SoftwareCsvPlatformCertificateTests
{
    internal static readonly Lazy<SoftwareCsvPlatform> Platform = new(() =>
        SoftwareCsvPlatform.Create(new SoftwarePlatformOptions { Seed = "csv certificate tests"u8.ToArray() }));

    [VectorFact]
    public void OwnReader_VerifiesTheRealHygonChain_H4_H5_H6_H7()
    {
        // Pins the simulator's layout constants and SM2 ID rule against real Hygon certificates.
        var hrk = SimCsvCaCertificate.Parse(Vectors.Read("hygon/hrk.cert"), "HRK");
        var hsk = SimCsvCaCertificate.Parse(Vectors.Read("hygon/hsk.cert"), "HSK");
        var cek = SimCsvCertificate.Parse(Vectors.Read("hygon/cek.cert"), "CEK");
        Assert.Equal("HYGON-SSD-HRK", hrk.UserId);
        Assert.True(hrk.IsSignedBy(hrk));
        Assert.True(hsk.IsSignedBy(hrk));
        Assert.Equal("3ae86a9701355cce333a589de21583d7", Vectors.ToHex(hsk.CertifyingId));
        Assert.True(cek.IsSignedBy(0x13, hsk.PublicKey, "HYGON-SSD-HSK"));
        Assert.False(cek.IsSignedBy(0x13, hsk.PublicKey, "1234567812345678"));
        Assert.Equal((2u, (byte)1, (byte)1, 0x1004u, 4u, "HYGON-SSD-CEK"),
            (cek.Version, cek.ApiMajor, cek.ApiMinor, cek.Usage, cek.Algorithm, cek.UserId));
        Assert.Equal("6e1009311eb0e448f7320da5ce2d4d47", Vectors.ToHex(cek.Sid));
    }

    [Fact]
    public void Chain_HasTheRealSizes()
    {
        var p = Platform.Value;
        Assert.Equal(2084, p.PdhCertificate.Length);
        Assert.Equal(6252, p.CertificateChain.Length);
        Assert.Equal(832, p.RootCertificate.Length);
        Assert.Equal(2916, p.Intermediate.Length);
        Assert.Equal(2084 * 4 + 832 * 2, p.FullChain.Length);
        Assert.Equal(GuestOwnerProxy.Crypto.Common.PlatformKind.Csv, p.Kind);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(p.RootCertificate)).ToLowerInvariant(), p.RootFingerprint);
        // FullChain = PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK; hsk_cek = HSK ‖ CEK
        Assert.Equal(p.PdhCertificate, p.FullChain[..2084]);
        Assert.Equal(p.CertificateChain, p.FullChain[2084..(2084 * 4)]);
        Assert.Equal(p.Intermediate[..832], p.FullChain[(2084 * 4)..(2084 * 4 + 832)]);
        Assert.Equal(p.Intermediate[832..], p.CertificateChain[(2084 * 2)..]);
        Assert.Equal(p.RootCertificate, p.FullChain[^832..]);
    }

    [Fact]
    public void Chain_EveryLinkVerifiesWithTheSignersId()
    {
        var p = Platform.Value;
        byte[] chain = p.CertificateChain;
        var hrk = SimCsvCaCertificate.Parse(p.RootCertificate, "HRK");
        var hsk = SimCsvCaCertificate.Parse(p.Intermediate[..832], "HSK");
        var pek = SimCsvCertificate.Parse(chain[..2084], "PEK");
        var oca = SimCsvCertificate.Parse(chain[2084..4168], "OCA");
        var cek = SimCsvCertificate.Parse(chain[4168..], "CEK");
        var pdh = SimCsvCertificate.Parse(p.PdhCertificate, "PDH");

        Assert.Equal(("HYGON-SSD-HRK", 0u), (hrk.UserId, hrk.Usage));
        Assert.Equal(hrk.KeyId, hrk.CertifyingId);
        Assert.True(hrk.IsSignedBy(hrk));

        Assert.Equal(("HYGON-SSD-HSK", 0x13u), (hsk.UserId, hsk.Usage));
        Assert.Equal(hrk.KeyId, hsk.CertifyingId);
        Assert.True(hsk.IsSignedBy(hrk));
        Assert.False(hsk.IsSignedBy(hsk));

        Assert.Equal(("HYGON-SSD-CEK", 0x1004u, 4u), (cek.UserId, cek.Usage, cek.Algorithm));
        Assert.Equal(hsk.KeyId, cek.Sid);
        Assert.True(cek.IsSignedBy(0x13, hsk.PublicKey, "HYGON-SSD-HSK"));
        Assert.False(cek.IsSignedBy(0x13, hsk.PublicKey, "1234567812345678"));

        Assert.Equal(("HYGON-SSD-OCA", 0x1001u), (oca.UserId, oca.Usage));
        Assert.True(oca.IsSignedBy(0x1001, oca.PublicKey, "HYGON-SSD-OCA"));

        Assert.Equal(("HYGON-SSD-PEK", 0x1002u), (pek.UserId, pek.Usage));
        Assert.True(pek.IsSignedBy(0x1004, cek.PublicKey, "HYGON-SSD-CEK"));
        Assert.True(pek.IsSignedBy(0x1001, oca.PublicKey, "HYGON-SSD-OCA"));
        Assert.False(pek.IsSignedBy(0x1001, cek.PublicKey, "HYGON-SSD-CEK"));
        // Hygon order: the CEK's signature sits in slot 1, the OCA's in slot 2.
        Assert.Equal(0x1004u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(chain.AsSpan(0x414)));
        Assert.Equal(0x1001u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(chain.AsSpan(0x61C)));

        Assert.Equal(("HYGON-SSD-PDH", 0x1003u, 5u), (pdh.UserId, pdh.Usage, pdh.Algorithm));
        Assert.True(pdh.IsSignedBy(0x1002, pek.PublicKey, "HYGON-SSD-PEK"));
        Assert.Null(pdh.FindSignature(0x1001));
        Assert.Equal((p.Version.ApiMajor, p.Version.ApiMinor), (pdh.ApiMajor, pdh.ApiMinor));
    }

    [Theory]
    [InlineData(0x008)]   // usage
    [InlineData(0x014)]   // Qx
    [InlineData(0x0A6)]   // user id
    [InlineData(0x413)]   // last signed byte
    [InlineData(0x41C)]   // signature r
    public void Pdh_AnyTamperedByte_FailsVerification(int offset)
    {
        var p = Platform.Value;
        var pek = SimCsvCertificate.Parse(p.CertificateChain[..2084], "PEK");
        byte[] pdh = p.PdhCertificate;
        pdh[offset] ^= 0x01;
        bool valid;
        try
        {
            valid = SimCsvCertificate.Parse(pdh, "PDH").IsSignedBy(0x1002, pek.PublicKey, "HYGON-SSD-PEK");
        }
        catch (FirmwareException)
        {
            valid = false; // a tampered coordinate is no longer a point on the curve
        }
        Assert.False(valid);
    }

    [Fact]
    public void Hsk_TamperedByte_FailsVerification()
    {
        var p = Platform.Value;
        var hrk = SimCsvCaCertificate.Parse(p.RootCertificate, "HRK");
        byte[] hsk = p.Intermediate[..832];
        hsk[0x0D6] ^= 0x01;
        Assert.False(SimCsvCaCertificate.Parse(hsk, "HSK").IsSignedBy(hrk));
    }
}
