using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;

namespace GuestOwnerProxy.Platform;

/// <summary>
/// The firmware's CTR mode, written here independently of the guest-owner code (which shares one CTR
/// helper between AES and SM4): each 16-byte block is the previous one plus one, the whole block taken as a
/// 128-bit big-endian integer, encrypted with the raw block cipher and XORed in.
/// A bug on the guest-owner side therefore shows up as a firmware rejection instead of cancelling out.
/// </summary>
internal static class FirmwareCtr
{
    private const int BlockSize = 16;

    public static void Transform(IBlockCipher cipher, ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv,
        ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (iv.Length != BlockSize)
            throw new ArgumentException($"CTR IV must be {BlockSize} bytes, got {iv.Length}", nameof(iv));
        if (output.Length < input.Length)
            throw new ArgumentException("output shorter than input", nameof(output));

        byte[] keyCopy = key.ToArray();
        Span<byte> counter = stackalloc byte[BlockSize];
        Span<byte> keystream = stackalloc byte[BlockSize];
        try
        {
            cipher.Init(true, new Org.BouncyCastle.Crypto.Parameters.KeyParameter(keyCopy));
            iv.CopyTo(counter);
            for (int offset = 0; offset < input.Length; offset += BlockSize)
            {
                cipher.ProcessBlock(counter, keystream);
                int n = Math.Min(BlockSize, input.Length - offset);
                for (int i = 0; i < n; i++)
                    output[offset + i] = (byte)(input[offset + i] ^ keystream[i]);
                AddOne(counter);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyCopy);
            CryptographicOperations.ZeroMemory(keystream);
        }
    }

    /// <summary>counter += 1 over all 16 bytes, big-endian, wrapping at 2^128.</summary>
    internal static void AddOne(Span<byte> counter)
    {
        int carry = 1;
        for (int i = counter.Length - 1; i >= 0 && carry != 0; i--)
        {
            int sum = counter[i] + carry;
            counter[i] = (byte)sum;
            carry = sum >> 8;
        }
    }
}
