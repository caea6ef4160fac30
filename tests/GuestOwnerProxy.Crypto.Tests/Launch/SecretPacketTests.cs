using System.Buffers.Binary;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Launch;

public class SecretPacketTests
{
    [VectorFact] // S9
    public void SevctlSecretVector()
    {
        var table = new SecretTable().Add(KnownGuids.DiskPassphrase, Read("more/sevctl/secret/secret1.txt")).Build();
        Assert.Equal("42f5741edd71664d963eef4287ff173b3a000000e5696873f084734992ec06879ce3da0b260000004d592d4c554b532d50415353504852415345000000000000",
            ToHex(table));
        var packet = SecretPacket.Create(SevLaunchCrypto.Instance,
            Read("more/sevctl/secret/tek1.bin"), Read("more/sevctl/secret/tik1.bin"),
            Hex("4cb780efad3b959427b4b8d1635fe2fac6ed75267eef9cf1a73e0fc7d873a412"),
            table, Hex("ac5474ed4dd32c7d989ec523d92559ec"));
        Assert.Equal("00000000ac5474ed4dd32c7d989ec523d92559ecbc152cde610e17f0aef557334a2d4fca42c22c4312e3b5b85a3d47b0aac857e5", ToHex(packet.Header));
        Assert.Equal("d14ddee4f717bf4516f87e2d48114a39d0987ca135fa3dfc05cd9fb8ed7a9988b223eb16c7b20d7e7fa58188f9e862f5db2ca29c36be9557c20b00ffdb0e5c3c", ToHex(packet.Data));
    }

    [Fact] // S13
    public void CtrCarriesAcrossAllSixteenBytes()
    {
        var output = new byte[64];
        SevLaunchCrypto.Instance.CtrTransform(Hex("000102030405060708090a0b0c0d0e0f"), Hex("fffffffffffffffffffffffffffffffe"), new byte[64], output);
        Assert.Equal("b6b5c2d82d8bd40fcf4ed8f4ae6e97ee3c441f32ce07822364d7a2990e50bb13c6a13b37878f5b826f4f8162a1c8d8797346139595c0b41e497bbde365f42d0a", ToHex(output));
    }

    [Fact]
    public void Sm4CtrMatchesEcbOfTheCounterBlocks()
    {
        // Independent check of the CSV CTR stream: E(IV) ‖ E(IV+1) with IV+1 carrying into the top byte.
        var key = Hex("0123456789abcdeffedcba9876543210");
        var iv = Hex("00ffffffffffffffffffffffffffffff");
        var engine = new Org.BouncyCastle.Crypto.Engines.SM4Engine();
        engine.Init(true, new Org.BouncyCastle.Crypto.Parameters.KeyParameter(key));
        var expected = new byte[32];
        engine.ProcessBlock(iv, 0, expected, 0);
        engine.ProcessBlock(Hex("01000000000000000000000000000000"), 0, expected, 16);
        var actual = new byte[32];
        CsvLaunchCrypto.Instance.CtrTransform(key, iv, new byte[32], actual);
        Assert.Equal(expected, actual);
        // SM4 standard test vector (GB/T 32907): plaintext = key.
        var block = new byte[16];
        engine.ProcessBlock(key, 0, block, 0);
        Assert.Equal("681edf34d206965e86b3e94f536e4246", ToHex(block));
    }

    [Fact]
    public void TableHeaderCarriesTheUnpaddedLength()
    {
        var table = new SecretTable().Add(KnownGuids.KeysetBundle, "{}"u8).Build();
        Assert.Equal(48, table.Length);
        Assert.Equal(20u + 20 + 2, BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(16)));
        Assert.Equal(KnownGuids.KeysetBundle, new Guid(table.AsSpan(20, 16)));
    }

    [Fact]
    public void TableLargerThanTheSecretAreaIsRefused()
    {
        var table = new SecretTable().Add(KnownGuids.KeysetBundle, new byte[3072 - 40]);
        Assert.Equal(3072, table.Build().Length);
        table = new SecretTable().Add(KnownGuids.KeysetBundle, new byte[3072 - 39]);
        var ex = Assert.Throws<CryptoFormatException>(() => table.Build());
        Assert.Contains("3072", ex.Message);
        Assert.Throws<CryptoFormatException>(() => new SecretTable().Add(KnownGuids.KeysetBundle, new byte[100]).Build(64));
    }

    [Fact]
    public void DuplicateEntryIsRefused() =>
        Assert.Throws<CryptoFormatException>(() => new SecretTable().Add(KnownGuids.KeysetBundle, "a"u8).Add(KnownGuids.KeysetBundle, "b"u8));

    [Fact]
    public void CsvPacketDecryptsBackAndMacCoversEveryByte()
    {
        var tek = Hex("000102030405060708090a0b0c0d0e0f");
        var tik = Hex("101112131415161718191a1b1c1d1e1f");
        var measure = new byte[32];
        measure[5] = 9;
        var table = new SecretTable().Add(KnownGuids.KeysetBundle, "{\"k\":\"dg==\"}"u8).Build();
        var iv = Hex("fffffffffffffffffffffffffffffff0");
        var packet = SecretPacket.Create(CsvLaunchCrypto.Instance, tek, tik, measure, table, iv);
        var plain = new byte[packet.Data.Length];
        CsvLaunchCrypto.Instance.CtrTransform(tek, packet.Header.AsSpan(4, 16), packet.Data, plain);
        Assert.Equal(table, plain);
        byte[] macInput = [0x01, .. packet.Header.AsSpan(0, 20), .. BitConverter.GetBytes(packet.Data.Length), .. BitConverter.GetBytes(packet.Data.Length), .. packet.Data, .. measure];
        Assert.Equal(Sm3.Hmac(tik, macInput), packet.Header.AsSpan(20, 32).ToArray());
    }

    [Fact]
    public void BadLengthsAreFormatErrors()
    {
        var key = new byte[16];
        Assert.Throws<CryptoFormatException>(() => SecretPacket.Create(SevLaunchCrypto.Instance, key, key, new byte[31], new byte[16], new byte[16]));
        Assert.Throws<CryptoFormatException>(() => SecretPacket.Create(SevLaunchCrypto.Instance, key, key, new byte[32], new byte[15], new byte[16]));
        Assert.Throws<CryptoFormatException>(() => SecretPacket.Create(SevLaunchCrypto.Instance, key, key, new byte[32], new byte[16], new byte[8]));
        Assert.Throws<CryptoFormatException>(() => SecretPacket.Create(SevLaunchCrypto.Instance, new byte[15], key, new byte[32], new byte[16], new byte[16]));
    }
}
