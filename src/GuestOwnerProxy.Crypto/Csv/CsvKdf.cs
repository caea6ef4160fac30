using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Digests;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>
/// The CSV session key derivation. Hygon's derive runs the SM2 KDF twice: once over
/// P = key ‖ label ‖ 0x00 ‖ ctx, then over P ‖ (first output). A single pass does not reproduce
/// csv-rs's own test vector (H1).
/// </summary>
public static class CsvKdf
{
    public const string MasterSecretLabel = "csv-master-secret";
    public const string KekLabel = "csv-kek";
    public const string KikLabel = "csv-kik";

    private const int HashSize = 32;

    public static byte[] Derive(ReadOnlySpan<byte> key, int size, ReadOnlySpan<byte> context, string label)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        int rounded = (size + HashSize - 1) / HashSize * HashSize;
        byte[] labelBytes = Encoding.ASCII.GetBytes(label);
        byte[] p = new byte[key.Length + labelBytes.Length + 1 + context.Length];
        byte[] pt = new byte[p.Length + rounded];
        byte[] t = Array.Empty<byte>();
        byte[] output = Array.Empty<byte>();
        try
        {
            key.CopyTo(p);
            labelBytes.CopyTo(p, key.Length);
            context.CopyTo(p.AsSpan(key.Length + labelBytes.Length + 1));
            t = Sm2Kdf(p, rounded);
            p.CopyTo(pt, 0);
            t.CopyTo(pt, p.Length);
            output = Sm2Kdf(pt, rounded);
            return output[..size];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(p);
            CryptographicOperations.ZeroMemory(pt);
            CryptographicOperations.ZeroMemory(t);
            CryptographicOperations.ZeroMemory(output);
        }
    }

    /// <summary>master = derive(z, 32, nonce, "csv-master-secret").</summary>
    public static byte[] MasterSecret(ReadOnlySpan<byte> z, ReadOnlySpan<byte> nonce) => Derive(z, 32, nonce, MasterSecretLabel);

    /// <summary>KEK = derive(master, 32, empty, "csv-kek")[0..16]: only the first 16 bytes key SM4.</summary>
    public static byte[] Kek(ReadOnlySpan<byte> master)
    {
        byte[] full = Derive(master, 32, ReadOnlySpan<byte>.Empty, KekLabel);
        try { return full[..16]; }
        finally { CryptographicOperations.ZeroMemory(full); }
    }

    /// <summary>KIK = derive(master, 32, empty, "csv-kik"), all 32 bytes key HMAC-SM3.</summary>
    public static byte[] Kik(ReadOnlySpan<byte> master) => Derive(master, 32, ReadOnlySpan<byte>.Empty, KikLabel);

    /// <summary>Standard SM2 KDF: SM3(Z ‖ ctr) for ctr = 1, 2, ... (32-bit big-endian), first <paramref name="length"/> bytes.</summary>
    public static byte[] Sm2Kdf(ReadOnlySpan<byte> z, int length)
    {
        var output = new byte[length];
        var digest = new SM3Digest();
        Span<byte> counter = stackalloc byte[4];
        Span<byte> block = stackalloc byte[HashSize];
        for (uint ctr = 1, offset = 0; offset < length; ctr++, offset += HashSize)
        {
            BinaryPrimitives.WriteUInt32BigEndian(counter, ctr);
            digest.BlockUpdate(z);
            digest.BlockUpdate(counter);
            digest.DoFinal(block);
            block[..Math.Min(HashSize, length - (int)offset)].CopyTo(output.AsSpan((int)offset));
        }
        CryptographicOperations.ZeroMemory(block);
        return output;
    }
}
