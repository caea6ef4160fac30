using System.Buffers.Binary;
using System.Text;
using GuestOwnerProxy.Crypto.Certificates;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>Field reads/writes shared by the two CSV certificate formats, with error messages naming the certificate role.</summary>
internal static class CsvFieldReader
{
    public static void RequireSize(ReadOnlySpan<byte> bytes, int expected, string role, string format)
    {
        if (bytes.Length != expected)
            throw new InvalidCertificateException(role, $"size {bytes.Length} bytes, a CSV {format} certificate is {expected} bytes");
    }

    public static uint U32(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]);

    public static void WriteU32(Span<byte> bytes, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(bytes[offset..], value);

    public static CsvCurve Curve(ReadOnlySpan<byte> bytes, int offset, string role)
    {
        uint curve = U32(bytes, offset);
        if (curve != (uint)CsvCurve.Sm2P256)
            throw new InvalidCertificateException(role, $"curve id {curve} at offset 0x{offset:x3} is unknown (CSV uses {(uint)CsvCurve.Sm2P256} = SM2-256)");
        return CsvCurve.Sm2P256;
    }

    /// <summary>A 72-byte little-endian coordinate or r/s field as 32 bytes big-endian; a non-zero tail is a format error.</summary>
    public static byte[] Scalar(ReadOnlySpan<byte> bytes, int offset, string role, string field)
    {
        var area = bytes.Slice(offset, CsvCertificateLayout.FieldSize);
        int stray = area[CsvCertificateLayout.ScalarSize..].IndexOfAnyExcept((byte)0);
        if (stray >= 0)
            throw new InvalidCertificateException(role,
                $"{field} at offset 0x{offset:x3} has non-zero byte 0x{area[CsvCertificateLayout.ScalarSize + stray]:x2} at offset 0x{offset + CsvCertificateLayout.ScalarSize + stray:x3}, beyond its {CsvCertificateLayout.ScalarSize}-byte value");
        return Sm2.FieldToBigEndian(area);
    }

    public static byte[] UserId(ReadOnlySpan<byte> bytes, int lengthOffset, int dataOffset, string role)
    {
        int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes[lengthOffset..]);
        if (length > CsvCertificateLayout.MaxUserIdLength)
            throw new InvalidCertificateException(role, $"user id length {length} at offset 0x{lengthOffset:x3} exceeds {CsvCertificateLayout.MaxUserIdLength}");
        return bytes.Slice(dataOffset, length).ToArray();
    }

    public static void WriteUserId(Span<byte> bytes, int lengthOffset, int dataOffset, ReadOnlySpan<byte> userId)
    {
        if (userId.Length > CsvCertificateLayout.MaxUserIdLength)
            throw new ArgumentException($"user id is {userId.Length} bytes, at most {CsvCertificateLayout.MaxUserIdLength} fit");
        BinaryPrimitives.WriteUInt16LittleEndian(bytes[lengthOffset..], (ushort)userId.Length);
        userId.CopyTo(bytes[dataOffset..]);
    }

    /// <summary>Latin-1 so that any byte value shows up as itself in logs; real ids are ASCII.</summary>
    public static string Text(ReadOnlySpan<byte> userId) => Encoding.Latin1.GetString(userId);
}
