using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace GuestOwnerProxy.Platform;

/// <summary>
/// The simulated firmwares' own symmetric primitives, taken straight from BouncyCastle and .NET rather than
/// from the guest-owner library, so that the simulator is an independent second implementation.
/// </summary>
internal static class FirmwareCrypto
{
    /// <summary>SM3 / HMAC-SM3 / SM4-CTR (Hygon CSV firmware).</summary>
    public static ILaunchCrypto Csv { get; } = new CsvFirmwareCrypto();

    /// <summary>SHA-256 / HMAC-SHA256 / AES-128-CTR (AMD SEV firmware).</summary>
    public static ILaunchCrypto Sev { get; } = new SevFirmwareCrypto();

    public static byte[] Sm3(ReadOnlySpan<byte> data)
    {
        var digest = new SM3Digest();
        digest.BlockUpdate(data);
        var result = new byte[digest.GetDigestSize()];
        digest.DoFinal(result);
        return result;
    }

    public static byte[] HmacSm3(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        var mac = new HMac(new SM3Digest());
        byte[] keyCopy = key.ToArray();
        try
        {
            mac.Init(new KeyParameter(keyCopy));
            mac.BlockUpdate(data);
            var result = new byte[mac.GetMacSize()];
            mac.DoFinal(result);
            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyCopy);
            mac.Reset();
        }
    }

    public static void Sm4Ctr(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (key.Length != 16)
            throw new ArgumentException($"SM4 key must be 16 bytes, got {key.Length}", nameof(key));
        FirmwareCtr.Transform(new SM4Engine(), key, iv, input, output);
    }

    public static void Aes128Ctr(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (key.Length != 16)
            throw new ArgumentException($"AES-128 key must be 16 bytes, got {key.Length}", nameof(key));
        FirmwareCtr.Transform(new AesEngine(), key, iv, input, output);
    }

    private sealed class CsvFirmwareCrypto : ILaunchCrypto
    {
        public PlatformKind Platform => PlatformKind.Csv;
        public string DigestName => "SM3";
        public IStreamingHash CreateDigest() => new Sm3Running();
        public byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => HmacSm3(key, data);
        public void CtrTransform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) =>
            Sm4Ctr(key, iv, input, output);
    }

    private sealed class SevFirmwareCrypto : ILaunchCrypto
    {
        public PlatformKind Platform => PlatformKind.Sev;
        public string DigestName => "SHA-256";
        public IStreamingHash CreateDigest() => new Sha256Running();
        public byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => HMACSHA256.HashData(key, data);
        public void CtrTransform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output) =>
            Aes128Ctr(key, iv, input, output);
    }

    private sealed class Sm3Running : IStreamingHash
    {
        private readonly SM3Digest _digest;
        public Sm3Running() : this(new SM3Digest()) { }
        private Sm3Running(SM3Digest digest) => _digest = digest;
        public IStreamingHash Clone() => new Sm3Running(new SM3Digest(_digest));
        public void Append(ReadOnlySpan<byte> data) => _digest.BlockUpdate(data);
        public byte[] Finish()
        {
            var result = new byte[_digest.GetDigestSize()];
            _digest.DoFinal(result);
            return result;
        }
        public void Dispose() => _digest.Reset();
    }

    private sealed class Sha256Running : IStreamingHash
    {
        private readonly IncrementalHash _hash;
        public Sha256Running() : this(IncrementalHash.CreateHash(HashAlgorithmName.SHA256)) { }
        private Sha256Running(IncrementalHash hash) => _hash = hash;
        public IStreamingHash Clone() => new Sha256Running(_hash.Clone());
        public void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);
        public byte[] Finish() => _hash.GetHashAndReset();
        public void Dispose() => _hash.Dispose();
    }
}
