using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace GuestOwnerProxy.Platform.Sev;

/// <summary>
/// The SEV firmware's KDF (NIST SP 800-108 counter mode with HMAC-SHA256) with AMD's
/// little-endian counter and bit length: HMAC(K, u32le(i) ‖ label ‖ 0x00 ‖ ctx ‖ u32le(L·8)).
/// </summary>
internal static class SevFirmwareKdf
{
    public static byte[] Derive(ReadOnlySpan<byte> key, int size, string label, ReadOnlySpan<byte> context)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        byte[] labelBytes = Encoding.ASCII.GetBytes(label);
        byte[] input = new byte[4 + labelBytes.Length + 1 + context.Length + 4];
        labelBytes.CopyTo(input, 4);
        context.CopyTo(input.AsSpan(4 + labelBytes.Length + 1));
        BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(input.Length - 4), (uint)size * 8);

        byte[] output = new byte[size];
        Span<byte> block = stackalloc byte[32];
        uint i = 1;
        for (int off = 0; off < size; off += 32, i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(input, i);
            HMACSHA256.HashData(key, input, block);
            block[..Math.Min(32, size - off)].CopyTo(output.AsSpan(off));
        }
        CryptographicOperations.ZeroMemory(block);
        return output;
    }
}
