using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// The LAUNCH_SECRET packet QEMU injects: a 52-byte header (flags ‖ IV ‖ MAC) and the table
/// encrypted under TEK in CTR mode. The MAC binds the ciphertext to this launch's measure.
/// </summary>
public sealed record SecretPacket(byte[] Header, byte[] Data)
{
    public const int HeaderSize = 52;
    public const int FlagsOffset = 0;
    public const int IvOffset = 4;
    public const int IvSize = 16;
    public const int MacOffset = 20;
    public const int MacSize = 32;
    private const byte MacContext = 0x01;

    /// <summary>Encrypts and authenticates a padded secret table (flags 0: verify-then-package).</summary>
    public static SecretPacket Create(
        ILaunchCrypto crypto,
        ReadOnlySpan<byte> tek,
        ReadOnlySpan<byte> tik,
        ReadOnlySpan<byte> measure,
        ReadOnlySpan<byte> table,
        ReadOnlySpan<byte> iv,
        uint flags = 0)
    {
        if (measure.Length != LaunchMeasurement.MeasureSize)
            throw new CryptoFormatException($"measure must be {LaunchMeasurement.MeasureSize} bytes, got {measure.Length}");
        if (iv.Length != IvSize)
            throw new CryptoFormatException($"secret IV must be {IvSize} bytes, got {iv.Length}");
        if (table.Length == 0 || table.Length % 16 != 0)
            throw new CryptoFormatException($"secret table length {table.Length} is not a positive multiple of 16");

        var data = new byte[table.Length];
        crypto.CtrTransform(tek, iv, table, data);

        var header = new byte[HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(FlagsOffset), flags);
        iv.CopyTo(header.AsSpan(IvOffset));
        MacInput(header.AsSpan(FlagsOffset, 4), iv, data, measure, out var macInput);
        crypto.Mac(tik, macInput).CopyTo(header.AsSpan(MacOffset));
        return new SecretPacket(header, data);
    }

    /// <summary>Creates the packet with a fresh random IV.</summary>
    public static SecretPacket Create(
        ILaunchCrypto crypto, ReadOnlySpan<byte> tek, ReadOnlySpan<byte> tik, ReadOnlySpan<byte> measure,
        ReadOnlySpan<byte> table, IRandomSource random)
    {
        Span<byte> iv = stackalloc byte[IvSize];
        random.Fill(iv);
        return Create(crypto, tek, tik, measure, table, iv);
    }

    // MAC input: 0x01 ‖ flags ‖ IV ‖ guest_len ‖ trans_len ‖ ciphertext ‖ measure (QEMU sets both lengths to the data length).
    private static void MacInput(ReadOnlySpan<byte> flags, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> data, ReadOnlySpan<byte> measure, out byte[] input)
    {
        input = new byte[1 + 4 + IvSize + 4 + 4 + data.Length + measure.Length];
        var span = input.AsSpan();
        span[0] = MacContext;
        flags.CopyTo(span[1..]);
        iv.CopyTo(span[5..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(5 + IvSize)..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(9 + IvSize)..], (uint)data.Length);
        data.CopyTo(span[(13 + IvSize)..]);
        measure.CopyTo(span[(13 + IvSize + data.Length)..]);
    }
}
