using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace GuestOwnerProxy.Platform.Csv;

/// <summary>
/// The CSV firmware's key derivation: the SM2 KDF applied twice, the second pass over
/// the input extended with the first pass's output. Only one pass does not match csv-rs (vector H1).
/// </summary>
internal static class CsvFirmwareKdf
{
    private const int HashSize = 32;

    public static byte[] Derive(ReadOnlySpan<byte> key, int size, ReadOnlySpan<byte> context, string label)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        byte[] labelBytes = Encoding.ASCII.GetBytes(label);
        int rounded = (size + HashSize - 1) / HashSize * HashSize;

        byte[] p = [.. key, .. labelBytes, 0x00, .. context];
        byte[] t = Sm2Kdf(p, rounded);
        byte[] pt = [.. p, .. t];
        byte[] full = Sm2Kdf(pt, rounded);
        byte[] result = full.AsSpan(0, size).ToArray();
        CryptographicOperations.ZeroMemory(p);
        CryptographicOperations.ZeroMemory(t);
        CryptographicOperations.ZeroMemory(pt);
        CryptographicOperations.ZeroMemory(full);
        return result;
    }

    /// <summary>GB/T 32918 KDF: SM3(Z ‖ ct) for ct = 1, 2, … as 32-bit big-endian, first <paramref name="length"/> bytes.</summary>
    internal static byte[] Sm2Kdf(ReadOnlySpan<byte> z, int length)
    {
        byte[] output = new byte[length];
        byte[] block = new byte[z.Length + 4];
        z.CopyTo(block);
        uint counter = 1;
        for (int off = 0; off < length; off += HashSize, counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(block.AsSpan(z.Length), counter);
            byte[] h = FirmwareCrypto.Sm3(block);
            h.AsSpan(0, Math.Min(HashSize, length - off)).CopyTo(output.AsSpan(off));
        }
        CryptographicOperations.ZeroMemory(block);
        return output;
    }
}
