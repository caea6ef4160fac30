using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Platform;

/// <summary>
/// Firmware side of LAUNCH_SECRET: header = flags u32 ‖ IV(16) ‖ MAC(32);
/// MAC = HMAC(TIK, 0x01 ‖ flags ‖ IV ‖ u32 guest_len ‖ u32 trans_len ‖ data ‖ measure), data = CTR(TEK, IV, table).
/// </summary>
internal static class LaunchSecretPacket
{
    public const int HeaderSize = 52;
    private const int FlagsOffset = 0;
    private const int IvOffset = 4;
    private const int IvSize = 16;
    private const int MacOffset = 20;
    private const int MacSize = 32;
    private const byte SecretMacDomain = 0x01;

    /// <summary>Verifies the packet and returns the decrypted plaintext (the caller zeroes it).</summary>
    public static byte[] Open(ILaunchCrypto crypto, ReadOnlySpan<byte> tek, ReadOnlySpan<byte> tik,
        ReadOnlySpan<byte> measure, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        if (header.Length != HeaderSize)
            throw new FirmwareException(FirmwareError.InvalidLength,
                $"LAUNCH_SECRET header must be {HeaderSize} bytes, got {header.Length}");
        if (data.IsEmpty)
            throw new FirmwareException(FirmwareError.InvalidLength, "LAUNCH_SECRET data is empty");

        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(header[FlagsOffset..]);
        ReadOnlySpan<byte> iv = header.Slice(IvOffset, IvSize);
        ReadOnlySpan<byte> mac = header.Slice(MacOffset, MacSize);

        byte[] input = new byte[1 + 4 + IvSize + 4 + 4 + data.Length + measure.Length];
        int o = 0;
        input[o++] = SecretMacDomain;
        BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(o), flags); o += 4;
        iv.CopyTo(input.AsSpan(o)); o += IvSize;
        // QEMU sets guest_len and trans_len both to the secret length.
        BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(o), (uint)data.Length); o += 4;
        BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(o), (uint)data.Length); o += 4;
        data.CopyTo(input.AsSpan(o)); o += data.Length;
        measure.CopyTo(input.AsSpan(o));

        byte[] expected = crypto.Mac(tik, input);
        if (!CryptographicOperations.FixedTimeEquals(expected, mac))
            throw new FirmwareException(FirmwareError.BadSecretMac,
                "LAUNCH_SECRET: packet MAC does not verify under this launch's TIK and measurement");

        byte[] plain = new byte[data.Length];
        crypto.CtrTransform(tek, iv, data, plain);
        return plain;
    }
}
