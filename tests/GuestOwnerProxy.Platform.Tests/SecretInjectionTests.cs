using System.Buffers.Binary;
using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Platform.Tests;

public class SecretInjectionTests
{
    private static readonly Guid LuksGuid = new("736869e5-84f0-4973-92ec-06879ce3da0b");
    private static readonly Guid KeysetGuid = new("e6f5a162-d67f-4750-a67c-5d065f2a9910");

    private const string S9Measure = "4cb780efad3b959427b4b8d1635fe2fac6ed75267eef9cf1a73e0fc7d873a412";
    private const string S9Header = "00000000ac5474ed4dd32c7d989ec523d92559ecbc152cde610e17f0aef557334a2d4fca42c22c4312e3b5b85a3d47b0aac857e5";
    private const string S9Data = "d14ddee4f717bf4516f87e2d48114a39d0987ca135fa3dfc05cd9fb8ed7a9988b223eb16c7b20d7e7fa58188f9e862f5db2ca29c36be9557c20b00ffdb0e5c3c";
    private const string S9Table = "42f5741edd71664d963eef4287ff173b3a000000e5696873f084734992ec06879ce3da0b260000004d592d4c554b532d50415353504852415345000000000000";

    [VectorFact]
    public void SevctlPacket_S9_OpensAndParsesLikeTheGuest()
    {
        byte[] plain = OpenS9(Vectors.Hex(S9Header), Vectors.Hex(S9Data), Vectors.Hex(S9Measure));
        Assert.Equal(S9Table, Vectors.ToHex(plain));

        var entries = EfiSecretArea.Parse(InArea(plain));
        var entry = Assert.Single(entries);
        Assert.Equal(LuksGuid, entry.Guid);
        Assert.Equal(Vectors.Read("more/sevctl/secret/secret1.txt"), entry.Data);
    }

    [VectorTheory]
    [InlineData("flags", 0)]
    [InlineData("iv", 4)]
    [InlineData("iv-last", 19)]
    [InlineData("mac", 20)]
    [InlineData("mac-last", 51)]
    public void SevctlPacket_TamperedHeader_IsRejected(string field, int offset)
    {
        byte[] header = Vectors.Hex(S9Header);
        header[offset] ^= 0x01;
        var e = Assert.Throws<FirmwareException>(() => OpenS9(header, Vectors.Hex(S9Data), Vectors.Hex(S9Measure)));
        Assert.True(e.Error == FirmwareError.BadSecretMac, field);
    }

    [VectorFact]
    public void SevctlPacket_TamperedDataOrOtherMeasure_IsRejected()
    {
        byte[] data = Vectors.Hex(S9Data);
        data[^1] ^= 0x80;
        Assert.Equal(FirmwareError.BadSecretMac,
            Assert.Throws<FirmwareException>(() => OpenS9(Vectors.Hex(S9Header), data, Vectors.Hex(S9Measure))).Error);

        byte[] measure = Vectors.Hex(S9Measure);
        measure[0] ^= 0x01;
        Assert.Equal(FirmwareError.BadSecretMac,
            Assert.Throws<FirmwareException>(() => OpenS9(Vectors.Hex(S9Header), Vectors.Hex(S9Data), measure)).Error);

        Assert.Equal(FirmwareError.BadSecretMac,
            Assert.Throws<FirmwareException>(() => OpenS9(Vectors.Hex(S9Header), Vectors.Hex(S9Data)[..^16], Vectors.Hex(S9Measure))).Error);
    }

    [VectorFact]
    public void Packet_WrongHeaderLength_IsRejected()
    {
        var e = Assert.Throws<FirmwareException>(() => OpenS9(Vectors.Hex(S9Header)[..51], Vectors.Hex(S9Data), Vectors.Hex(S9Measure)));
        Assert.Equal(FirmwareError.InvalidLength, e.Error);
    }

    [Fact]
    public void Table_WithSeveralEntries_SkipsDeletedOnesAndIgnoresShortTail()
    {
        byte[] table = Table(lengthAdjust: 0,
            (KeysetGuid, "{\"k\":\"dg==\"}"u8.ToArray()), (Guid.Empty, new byte[3]), (LuksGuid, []));
        // A tail shorter than an entry header is ignored by efi_secret.
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(16), BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(16)) + 19);
        var entries = EfiSecretArea.Parse(InArea(table));
        Assert.Equal([KeysetGuid, LuksGuid], entries.Select(e => e.Guid));
        Assert.Equal("{\"k\":\"dg==\"}"u8.ToArray(), entries[0].Data);
        Assert.Empty(entries[1].Data);
    }

    [Fact]
    public void Table_PaddedLengthField_IsAccepted()
    {
        byte[] table = Table(0, (LuksGuid, new byte[5]));
        int padded = (table.Length + 15) / 16 * 16;
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(16), (uint)padded);
        Assert.Single(EfiSecretArea.Parse(InArea(table)));
    }

    [Fact]
    public void Table_WrongHeaderGuid_IsRejected()
    {
        byte[] table = Table(0, (LuksGuid, new byte[5]));
        table[0] ^= 0xff;
        AssertMalformed(table, "GUID");
    }

    [Fact]
    public void Table_LengthBelowHeaderSize_IsRejected()
    {
        byte[] table = Table(0, (LuksGuid, new byte[5]));
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(16), 19);
        AssertMalformed(table, "smaller than the 20-byte header");
    }

    [Fact]
    public void Table_LengthBeyondArea_IsRejected()
    {
        byte[] table = Table(0, (LuksGuid, new byte[5]));
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(16), 3073);
        AssertMalformed(table, "larger than the 3072-byte secret area");
    }

    [Fact]
    public void Table_EntryLengthBelowEntryHeader_IsRejected()
    {
        byte[] table = Table(0, (LuksGuid, new byte[5]));
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(20 + 16), 19);
        AssertMalformed(table, "smaller than its 20-byte header");
    }

    [Fact]
    public void Table_EntryRunningPastTheTableEnd_IsRejected()
    {
        byte[] table = Table(0, (LuksGuid, new byte[5]));
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(20 + 16), 26);
        AssertMalformed(table, "running past the table end");
    }

    [Fact]
    public void Table_LengthFieldCoveringZeroedAreaBeyondTheData_IsRejected()
    {
        // The guest reads the whole area: a length that extends into the zeros meets an entry of length 0.
        byte[] table = Table(0, (LuksGuid, new byte[5]));
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(16), (uint)table.Length + 40);
        AssertMalformed(table, "smaller than its 20-byte header");
    }

    private static void AssertMalformed(byte[] table, string reason)
    {
        var e = Assert.Throws<FirmwareException>(() => EfiSecretArea.Parse(InArea(table)));
        Assert.Equal(FirmwareError.MalformedSecretTable, e.Error);
        Assert.Contains(reason, e.Message);
    }

    private static byte[] OpenS9(byte[] header, byte[] data, byte[] measure) =>
        LaunchSecretPacket.Open(SevLaunchCrypto.Instance, Vectors.Read("more/sevctl/secret/tek1.bin"),
            Vectors.Read("more/sevctl/secret/tik1.bin"), measure, header, data);

    internal static byte[] InArea(byte[] table, int areaSize = 3072)
    {
        byte[] area = new byte[areaSize];
        table.CopyTo(area, 0);
        return area;
    }

    /// <summary>Builds a secret table by hand (unpadded length field) for the parser tests.</summary>
    internal static byte[] Table(int lengthAdjust, params (Guid Guid, byte[] Data)[] entries)
    {
        var table = new List<byte>();
        table.AddRange(new Guid("1e74f542-71dd-4d66-963e-ef4287ff173b").ToByteArray());
        table.AddRange(new byte[4]);
        foreach (var (guid, data) in entries)
        {
            table.AddRange(guid.ToByteArray());
            byte[] len = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)(20 + data.Length));
            table.AddRange(len);
            table.AddRange(data);
        }
        byte[] result = table.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(16), (uint)(result.Length + lengthAdjust));
        return result;
    }
}
