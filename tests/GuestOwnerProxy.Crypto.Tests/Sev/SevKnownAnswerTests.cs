using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Sev;

public class SevKnownAnswerTests
{
    private static readonly byte[] Zero16 = new byte[16];

    [Fact]
    public void S2_Kdf_MasterSecret()
    {
        var derived = SevKdf.Derive(Zero16, 16, "sev-master-secret", Zero16);
        Assert.Equal("ab4d269fcc62bedb4511d56c386ce706", ToHex(derived));
    }

    [Fact]
    public void Kdf_LongerOutput_IsCounterModeWithLittleEndianCounter()
    {
        // Two blocks: the first 32 bytes are block 1, the next come from counter 2 (both with L = 48·8 bits).
        var derived = SevKdf.Derive(Zero16, 48, "label", [1, 2, 3]);
        byte[] Block(uint i) => HMACSHA256.HashData(Zero16,
            (byte[])[.. BitConverter.GetBytes(i), .. "label"u8, 0, 1, 2, 3, .. BitConverter.GetBytes(48u * 8)]);
        Assert.True(BitConverter.IsLittleEndian);
        Assert.Equal(ToHex([.. Block(1), .. Block(2).AsSpan(0, 16)]), ToHex(derived));
        Assert.NotEqual(ToHex(SevKdf.Derive(Zero16, 16, "label", [1, 2, 3])), ToHex(derived.AsSpan(0, 16)));
    }

    [Fact]
    public void S3_HmacSha256()
    {
        Assert.Equal("aa7855e13839dd767cd5da7c1ff5036540c9264b7a803029315e55375287b4af",
            ToHex(SevLaunchCrypto.Instance.Mac(Zero16, new byte[4])));
    }

    [Fact]
    public void S4_SessionBlob_FromZeroSecret()
    {
        var (kek, kik) = SevSessionBuilder.DeriveWrappingKeys(Zero16, Zero16);
        Assert.Equal("b6abfbfb75ea1ea74ed8750b8afdb973", ToHex(kek));
        Assert.Equal("53b524bf5669a363f365c864acba8572", ToHex(kik));

        var blob = SevSessionBuilder.BuildBlob(Zero16, Zero16, Zero16, Zero16, Zero16, policy: 0);
        Assert.Equal(SevSessionBlobLayout.Size, blob.Length);
        Assert.Equal(ToHex(Zero16), ToHex(blob.AsSpan(SevSessionBlobLayout.Nonce, 16)));
        Assert.Equal("2137bc7f9bb8bd7c3e55a576a15d3454b3856b8ba27afadf46dcfee9f02c02c4",
            ToHex(blob.AsSpan(SevSessionBlobLayout.WrapTk, SevSessionBlobLayout.WrapTkSize)));
        Assert.Equal(ToHex(Zero16), ToHex(blob.AsSpan(SevSessionBlobLayout.WrapIv, 16)));
        Assert.Equal("3176c0752738bd9d5e86689534020f528c088f16238826b000b327dee6aeed7d",
            ToHex(blob.AsSpan(SevSessionBlobLayout.WrapMac, SevSessionBlobLayout.WrapMacSize)));
        Assert.Equal("aa7855e13839dd767cd5da7c1ff5036540c9264b7a803029315e55375287b4af",
            ToHex(blob.AsSpan(SevSessionBlobLayout.PolicyMac, SevSessionBlobLayout.PolicyMacSize)));
    }

    [Fact]
    public void S4_BlobLayout_FieldsInPlace()
    {
        byte[] nonce = [.. Enumerable.Range(1, 16).Select(i => (byte)i)];
        byte[] iv = [.. Enumerable.Range(100, 16).Select(i => (byte)i)];
        var blob = SevSessionBuilder.BuildBlob(Zero16, nonce, iv, Zero16, Zero16, policy: 0x12345678);
        Assert.Equal(nonce, blob[..16]);
        Assert.Equal(iv, blob[48..64]);
        Assert.Equal(HMACSHA256.HashData(Zero16, (byte[])[0x78, 0x56, 0x34, 0x12]), blob[96..128]);
    }
}
