namespace GuestOwnerProxy.Crypto.Common;

/// <summary>
/// The symmetric primitives one platform uses in the launch flow. The flow (digest, measurement,
/// secret packet) is written once against this seam: CSV plugs in SM3/HMAC-SM3/SM4, SEV plugs in
/// SHA-256/HMAC-SHA256/AES-128.
/// </summary>
public interface ILaunchCrypto
{
    PlatformKind Platform { get; }

    /// <summary>Name of the launch-digest hash, for logs and CLI output ("SM3", "SHA-256").</summary>
    string DigestName { get; }

    /// <summary>A running hash for the launch digest (the firmware's LAUNCH_UPDATE_DATA hash).</summary>
    IStreamingHash CreateDigest();

    /// <summary>HMAC with the platform hash; 32-byte result on both platforms.</summary>
    byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data);

    /// <summary>
    /// 128-bit-block cipher (SM4 or AES-128) in CTR mode with the whole 16-byte IV as a big-endian
    /// counter. Encrypt and decrypt are the same operation. <paramref name="output"/> may alias input.
    /// </summary>
    void CtrTransform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output);
}

public interface IStreamingHash : IDisposable
{
    void Append(ReadOnlySpan<byte> data);

    /// <summary>Returns the 32-byte digest; the hash cannot be used afterwards.</summary>
    byte[] Finish();

    /// <summary>An independent hash in the same state: a common prefix (the firmware image) is hashed once and
    /// each continuation (one per vCPU count of an SEV-ES launch) finishes its own copy.</summary>
    IStreamingHash Clone();
}
