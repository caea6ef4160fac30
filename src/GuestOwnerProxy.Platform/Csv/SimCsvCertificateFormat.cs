using System.Buffers.Binary;
using System.Text;

namespace GuestOwnerProxy.Platform.Csv;

/// <summary>Byte layout of the 2084-byte CSV platform certificate, the simulator's own copy.</summary>
internal static class SimCsvCertLayout
{
    public const int Size = 0x824;
    public const int Version = 0x000;
    public const int ApiMajor = 0x004;
    public const int ApiMinor = 0x005;
    public const int Usage = 0x008;
    public const int Algorithm = 0x00C;
    public const int Curve = 0x010;
    public const int Qx = 0x014;
    public const int Qy = 0x05C;
    public const int UserIdLength = 0x0A4;
    public const int UserId = 0x0A6;
    public const int UserIdCapacity = 254;
    public const int Sid = 0x1A4;
    public const int SidSize = 16;
    public const int SignedLength = 0x414;
    public static readonly int[] SlotOffsets = [0x414, 0x61C];
    public const int SlotUsage = 0;
    public const int SlotAlgorithm = 4;
    public const int SlotR = 8;
    public const int SlotS = 8 + 72;
}

/// <summary>Byte layout of the 832-byte CSV CA certificate (HRK, HSK).</summary>
internal static class SimCsvCaLayout
{
    public const int Size = 0x340;
    public const int Version = 0x000;
    public const int KeyId = 0x004;
    public const int CertifyingId = 0x014;
    public const int IdSize = 16;
    public const int Usage = 0x024;
    public const int Curve = 0x040;
    public const int Qx = 0x044;
    public const int Qy = 0x08C;
    public const int UserIdLength = 0x0D4;
    public const int UserId = 0x0D6;
    public const int UserIdCapacity = 254;
    public const int SignedLength = 0x240;
    public const int SigR = 0x240;
    public const int SigS = 0x288;
}

internal static class SimCsvConstants
{
    public const uint CurveSm2 = 3;
    public const uint AlgorithmSm2Sign = 4;
    public const uint AlgorithmSm2KeyExchange = 5;
    public const uint UsageHrk = 0x0000;
    public const uint UsageHsk = 0x0013;
    public const uint UsageOca = 0x1001;
    public const uint UsagePek = 0x1002;
    public const uint UsagePdh = 0x1003;
    public const uint UsageCek = 0x1004;
    public const uint UsageEmptySlot = 0x1000;
    /// <summary>The field holding a coordinate or r/s is 72 bytes; the 32-byte value sits little-endian at its start.</summary>
    public const int EccFieldSize = 72;
}

/// <summary>Little-endian 72-byte ECC fields and fixed-capacity user ids, shared by both CSV layouts.</summary>
internal static class SimCsvFields
{
    public static void WriteScalar(Span<byte> cert, int offset, ReadOnlySpan<byte> bigEndian32)
    {
        LittleEndianField.Write(cert.Slice(offset, SimCsvConstants.EccFieldSize), bigEndian32[..32]);
    }

    public static byte[] ReadScalar(ReadOnlySpan<byte> cert, int offset)
    {
        return LittleEndianField.Read(cert[offset..], 32);
    }

    public static void WriteUserId(Span<byte> cert, int lengthOffset, int idOffset, int capacity, string userId)
    {
        byte[] id = Encoding.ASCII.GetBytes(userId);
        if (id.Length > capacity)
            throw new ArgumentException($"user id longer than {capacity} bytes", nameof(userId));
        BinaryPrimitives.WriteUInt16LittleEndian(cert[lengthOffset..], (ushort)id.Length);
        id.CopyTo(cert[idOffset..]);
    }

    public static string ReadUserId(ReadOnlySpan<byte> cert, int lengthOffset, int idOffset, int capacity, string structure)
    {
        int length = BinaryPrimitives.ReadUInt16LittleEndian(cert[lengthOffset..]);
        if (length > capacity)
            throw new FirmwareException(FirmwareError.InvalidCertificate,
                $"{structure}: user id length {length} exceeds the {capacity}-byte field");
        return Encoding.ASCII.GetString(cert.Slice(idOffset, length));
    }
}
