using System.Security.Cryptography;

namespace GuestOwnerProxy.Crypto.Common;

/// <summary>
/// CTR mode over any 128-bit block cipher, counter = the whole 16-byte IV as a big-endian integer
/// (carry across all 16 bytes, as the PSP/CSV firmware does). Neither .NET nor BouncyCastle's
/// SicBlockCipher is used directly: the former has no CTR mode, the latter only carries through
/// part of the block for some IV lengths, and the carry rule is part of the format.
/// </summary>
public static class CtrMode
{
    public const int BlockSize = 16;

    /// <param name="encryptBlocks">ECB-encrypts whole blocks (input and output the same length).</param>
    public static void Transform(
        ReadOnlySpan<byte> iv,
        ReadOnlySpan<byte> input,
        Span<byte> output,
        EcbEncryptor encryptBlocks)
    {
        if (iv.Length != BlockSize)
            throw new CryptoFormatException($"CTR IV must be {BlockSize} bytes, got {iv.Length}");
        if (output.Length < input.Length)
            throw new ArgumentException("output shorter than input", nameof(output));

        int blocks = (input.Length + BlockSize - 1) / BlockSize;
        byte[] counters = new byte[blocks * BlockSize];
        Span<byte> counter = stackalloc byte[BlockSize];
        iv.CopyTo(counter);
        for (int b = 0; b < blocks; b++)
        {
            counter.CopyTo(counters.AsSpan(b * BlockSize));
            Increment(counter);
        }

        byte[] keystream = new byte[counters.Length];
        try
        {
            encryptBlocks(counters, keystream);
            for (int i = 0; i < input.Length; i++)
                output[i] = (byte)(input[i] ^ keystream[i]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keystream);
        }
    }

    public delegate void EcbEncryptor(ReadOnlySpan<byte> blocks, Span<byte> destination);

    private static void Increment(Span<byte> counter)
    {
        for (int i = counter.Length - 1; i >= 0; i--)
        {
            if (++counter[i] != 0)
                return;
        }
    }
}
