using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>
/// NIST SP 800-108 KDF in counter mode with HMAC-SHA256, as the SEV firmware implements it:
/// block i = HMAC(K, u32le(i) ‖ label ‖ 0x00 ‖ context ‖ u32le(L·8)), i = 1, 2, ...
/// The counter and bit length are LITTLE-endian (SP 800-108 examples use big-endian).
/// </summary>
public static class SevKdf
{
    public const string MasterSecretLabel = "sev-master-secret";
    public const string KekLabel = "sev-kek";
    public const string KikLabel = "sev-kik";

    public static byte[] Derive(ReadOnlySpan<byte> key, int length, string label, ReadOnlySpan<byte> context)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        var labelBytes = Encoding.ASCII.GetBytes(label);
        var input = new byte[4 + labelBytes.Length + 1 + context.Length + 4];
        labelBytes.CopyTo(input, 4);
        context.CopyTo(input.AsSpan(4 + labelBytes.Length + 1));
        BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(input.Length - 4), checked((uint)length * 8));

        var output = new byte[length];
        Span<byte> block = stackalloc byte[HMACSHA256.HashSizeInBytes];
        try
        {
            for (uint i = 1, done = 0; done < length; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(input, i);
                HMACSHA256.HashData(key, input, block);
                int take = Math.Min(block.Length, length - (int)done);
                block[..take].CopyTo(output.AsSpan((int)done));
                done += (uint)take;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
        return output;
    }
}
