using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Platform;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace GuestOwnerProxy.Platform.Tests;

/// <summary>The simulator's own primitives: pinned to the published vectors, and checked to share no code with
/// the guest-owner library (a bug there must show up as a firmware refusal, not cancel out).</summary>
public class FirmwareCryptoTests
{
    [Fact]
    public void Aes128Ctr_CarriesAcrossAll16Bytes_VectorS13()
    {
        var key = Vectors.Hex("000102030405060708090a0b0c0d0e0f");
        var iv = Vectors.Hex("fffffffffffffffffffffffffffffffe");
        var output = new byte[64];
        FirmwareCrypto.Aes128Ctr(key, iv, new byte[64], output);
        Assert.Equal("b6b5c2d82d8bd40fcf4ed8f4ae6e97ee3c441f32ce07822364d7a2990e50bb13c6a13b37878f5b826f4f8162a1c8d8797346139595c0b41e497bbde365f42d0a",
            Vectors.ToHex(output));
    }

    [Fact]
    public void Sm4Ctr_IsSm4OfTheBigEndianCounterBlocks()
    {
        var key = Vectors.Hex("0123456789abcdeffedcba9876543210");
        var iv = Vectors.Hex("00000000000000000000fffffffffffe");
        // Keystream written out block by block with the raw cipher: counters iv, iv+1 and iv+2 (carry into byte 9).
        string[] counters = ["00000000000000000000fffffffffffe", "00000000000000000000ffffffffffff", "00000000000000000001000000000000"];
        var engine = new SM4Engine();
        engine.Init(true, new KeyParameter(key));
        var expected = new byte[48];
        for (int i = 0; i < 3; i++)
            engine.ProcessBlock(Vectors.Hex(counters[i]), 0, expected, 16 * i);

        var plaintext = new byte[40]; // a partial last block
        for (int i = 0; i < plaintext.Length; i++)
            plaintext[i] = (byte)(i * 7);
        var output = new byte[40];
        FirmwareCrypto.Sm4Ctr(key, iv, plaintext, output);
        for (int i = 0; i < plaintext.Length; i++)
            Assert.Equal((byte)(plaintext[i] ^ expected[i]), output[i]);

        // Decrypt in place (output aliasing input) gives the plaintext back.
        FirmwareCrypto.Sm4Ctr(key, iv, output, output);
        Assert.Equal(plaintext, output);
    }

    [Fact]
    public void CounterWrapsAt2To128()
    {
        var counter = Vectors.Hex("ffffffffffffffffffffffffffffffff");
        FirmwareCtr.AddOne(counter);
        Assert.Equal(new byte[16], counter);
    }

    [Fact]
    public void Sm3AndHmacSm3_MatchVectorsH2H3()
    {
        Assert.Equal("5f08f19a7d6d8aceb7a6955b1533173cdd342039d4f76a117fe1aaaab7b27fec",
            Vectors.ToHex(FirmwareCrypto.HmacSm3(new byte[16], new byte[4])));
        var h3 = Vectors.Hex("67c6697351ff4aec29cdbaabf2fbe3467cc254f81be8e78d765a2e63339fc99a66320db73158a35a255d051758e95ed4abb2cdc69bb454110e827441213ddc87" +
                             "70e93ea141e1fc673e017e97eadc6b96");
        Assert.Equal("134c086221f6f79b1c15f5b9764aa280520fa0e9d4826ab1590677f382150399", Vectors.ToHex(FirmwareCrypto.Sm3(h3)));
    }

    [Fact]
    public void TwoImplementationsAgree_OnRandomInputs()
    {
        var random = new DeterministicRandomSource("2024"u8, "firmware crypto agreement");
        foreach (int length in (int[])[1, 15, 16, 17, 100, 3072])
        {
            byte[] key = new byte[16], iv = new byte[16], data = new byte[length];
            random.Fill(key);
            random.Fill(iv);
            random.Fill(data);
            iv.AsSpan(8).Fill(0xff); // force carries past the low 64 bits
            byte[] ours = new byte[length], theirs = new byte[length];
            FirmwareCrypto.Sm4Ctr(key, iv, data, ours);
            CsvLaunchCrypto.Instance.CtrTransform(key, iv, data, theirs);
            Assert.Equal(Vectors.ToHex(ours), Vectors.ToHex(theirs));
            FirmwareCrypto.Aes128Ctr(key, iv, data, ours);
            SevLaunchCrypto.Instance.CtrTransform(key, iv, data, theirs);
            Assert.Equal(Vectors.ToHex(ours), Vectors.ToHex(theirs));
            Assert.Equal(Vectors.ToHex(FirmwareCrypto.HmacSm3(key, data)), Vectors.ToHex(Sm3.Hmac(key, data)));
        }
    }

    [Fact]
    public void Simulator_ReferencesNoGuestOwnerCryptoImplementation()
    {
        // Only the shared seam (GuestOwnerProxy.Crypto.Common: PlatformKind, IRandomSource, ILaunchCrypto) may be used.
        var assembly = typeof(SoftwareCsvPlatform).Assembly;
        using var stream = File.OpenRead(assembly.Location);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var forbidden = new List<string>();
        foreach (var handle in metadata.TypeReferences)
        {
            var reference = metadata.GetTypeReference(handle);
            string ns = metadata.GetString(reference.Namespace);
            if (ns.StartsWith("GuestOwnerProxy.Crypto", StringComparison.Ordinal) && ns != "GuestOwnerProxy.Crypto.Common")
                forbidden.Add($"{ns}.{metadata.GetString(reference.Name)}");
        }
        Assert.True(forbidden.Count == 0, "simulator uses guest-owner types: " + string.Join(", ", forbidden));
        Assert.True(metadata.TypeReferences.Count > 0);
    }
}
