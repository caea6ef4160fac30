using GuestOwnerProxy.Crypto.Common;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>Hygon CSV primitives: SM3, HMAC-SM3, SM4-CTR (BouncyCastle; .NET has none of them).</summary>
public sealed class CsvLaunchCrypto : ILaunchCrypto
{
    public static readonly CsvLaunchCrypto Instance = new();

    public PlatformKind Platform => PlatformKind.Csv;
    public string DigestName => "SM3";

    public IStreamingHash CreateDigest() => new Sm3StreamingHash();

    public byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => Sm3.Hmac(key, data);

    public void CtrTransform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (key.Length != 16)
            throw new CryptoFormatException($"SM4 key must be 16 bytes, got {key.Length}");
        var engine = new SM4Engine();
        engine.Init(true, new KeyParameter(key));
        CtrMode.Transform(iv, input, output, (blocks, dest) =>
        {
            for (int off = 0; off < blocks.Length; off += 16)
                engine.ProcessBlock(blocks.Slice(off, 16), dest.Slice(off, 16));
        });
    }

    private sealed class Sm3StreamingHash : IStreamingHash
    {
        private readonly SM3Digest _digest;
        public Sm3StreamingHash() : this(new SM3Digest()) { }
        private Sm3StreamingHash(SM3Digest digest) => _digest = digest;
        public IStreamingHash Clone() => new Sm3StreamingHash(new SM3Digest(_digest));
        public void Append(ReadOnlySpan<byte> data) => _digest.BlockUpdate(data);
        public byte[] Finish()
        {
            var result = new byte[32];
            _digest.DoFinal(result);
            return result;
        }
        public void Dispose() => _digest.Reset();
    }
}

/// <summary>SM3 and HMAC-SM3 one-shot helpers shared by the CSV code.</summary>
public static class Sm3
{
    public static byte[] Hash(ReadOnlySpan<byte> data)
    {
        var d = new SM3Digest();
        d.BlockUpdate(data);
        var result = new byte[32];
        d.DoFinal(result);
        return result;
    }

    public static byte[] Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        var mac = new HMac(new SM3Digest());
        mac.Init(new KeyParameter(key));
        mac.BlockUpdate(data);
        var result = new byte[32];
        mac.DoFinal(result);
        return result;
    }
}
