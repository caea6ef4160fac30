using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>AMD SEV primitives: SHA-256, HMAC-SHA256, AES-128-CTR (all from .NET).</summary>
public sealed class SevLaunchCrypto : ILaunchCrypto
{
    public static readonly SevLaunchCrypto Instance = new();

    public PlatformKind Platform => PlatformKind.Sev;
    public string DigestName => "SHA-256";

    public IStreamingHash CreateDigest() => new Sha256StreamingHash();

    public byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => HMACSHA256.HashData(key, data);

    public void CtrTransform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (key.Length != 16)
            throw new CryptoFormatException($"AES-128 key must be 16 bytes, got {key.Length}");
        using var aes = Aes.Create();
        // SetKey copies into the algorithm's own (disposed-with-it) buffer; `Key = key.ToArray()` would leave
        // an extra unzeroed copy of the TEK/KEK on the managed heap.
        aes.SetKey(key);
        CtrMode.Transform(iv, input, output, (blocks, dest) => aes.EncryptEcb(blocks, dest, PaddingMode.None));
    }

    private sealed class Sha256StreamingHash : IStreamingHash
    {
        private readonly IncrementalHash _hash;
        public Sha256StreamingHash() : this(IncrementalHash.CreateHash(HashAlgorithmName.SHA256)) { }
        private Sha256StreamingHash(IncrementalHash hash) => _hash = hash;
        public IStreamingHash Clone() => new Sha256StreamingHash(_hash.Clone());
        public void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);
        public byte[] Finish() => _hash.GetHashAndReset();
        public void Dispose() => _hash.Dispose();
    }
}
