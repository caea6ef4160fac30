using System.Buffers.Binary;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>An area of guest memory announced by OVMF (base address and size).</summary>
public readonly record struct OvmfArea(uint Base, uint Size);

/// <summary>
/// Facts from the OVMF footer GUID table: whether the firmware has a kernel-hashes area (so a
/// kernel, initrd and cmdline can be measured), how big the secret area is, and the SEV-ES reset block.
/// Only the tail of the image is read, so multi-megabyte firmware files cost one small read.
/// </summary>
public sealed record OvmfFooter(OvmfArea? KernelHashesArea, OvmfArea? SecretArea, uint? SevEsResetAddress, bool HasGuidTable)
{
    // The footer entry (u16 size ‖ GUID) ends 32 bytes before the end of the file.
    private const int FooterEndFromFileEnd = 32;
    private const int EntryTrailerSize = 2 + 16;
    /// <summary>How much of the file tail is read first; the GUID table is well under this in every known build.</summary>
    public const int TailSize = 4096;
    /// <summary>The most a footer can ask for: its u16 table size plus the footer position (just over 64 KiB).</summary>
    public const int MaxTailSize = FooterEndFromFileEnd + EntryTrailerSize + ushort.MaxValue;

    public static OvmfFooter Read(string path)
    {
        using var stream = LaunchFile.OpenRegular("OVMF", path);
        long length = stream.Length;
        var tail = ReadTail(stream, (int)Math.Min(TailSize, length));
        // A build whose GUID table outgrows the first read says so in its footer entry: read that much and parse again.
        if (TryReadTableSize(tail, out int tableSize))
        {
            int needed = (int)Math.Min(length, FooterEndFromFileEnd + EntryTrailerSize + tableSize);
            if (needed > tail.Length)
                tail = ReadTail(stream, needed);
        }
        return Parse(tail);
    }

    private static byte[] ReadTail(FileStream stream, int count)
    {
        var tail = new byte[count];
        stream.Seek(stream.Length - count, SeekOrigin.Begin);
        stream.ReadExactly(tail);
        return tail;
    }

    /// <summary>The table size from the footer entry, when the footer GUID is where it belongs.</summary>
    private static bool TryReadTableSize(ReadOnlySpan<byte> image, out int tableSize)
    {
        tableSize = 0;
        int footerStart = image.Length - FooterEndFromFileEnd - EntryTrailerSize;
        if (footerStart < 0 || new Guid(image.Slice(footerStart + 2, 16)) != KnownGuids.OvmfTableFooter)
            return false;
        tableSize = BinaryPrimitives.ReadUInt16LittleEndian(image.Slice(footerStart, 2));
        return true;
    }

    /// <summary>Parses the GUID table from the last bytes of an OVMF image (or the whole image).</summary>
    public static OvmfFooter Parse(ReadOnlySpan<byte> image)
    {
        int footerEnd = image.Length - FooterEndFromFileEnd;
        int footerStart = footerEnd - EntryTrailerSize;
        if (footerStart < 0 || new Guid(image.Slice(footerStart + 2, 16)) != KnownGuids.OvmfTableFooter)
            return new OvmfFooter(null, null, null, HasGuidTable: false);

        int tableSize = BinaryPrimitives.ReadUInt16LittleEndian(image.Slice(footerStart, 2));
        int tableStart = footerEnd - tableSize;
        if (tableSize < EntryTrailerSize || tableStart < 0)
            throw new CryptoFormatException($"OVMF footer: GUID table size {tableSize} is out of range");

        OvmfArea? hashes = null, secret = null;
        uint? resetAddress = null;
        // Walk backwards from the footer entry: each entry is data ‖ u16 size ‖ GUID, size counting all three.
        int end = footerStart;
        while (end - EntryTrailerSize >= tableStart)
        {
            int trailer = end - EntryTrailerSize;
            int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(image.Slice(trailer, 2));
            var guid = new Guid(image.Slice(trailer + 2, 16));
            if (entrySize < EntryTrailerSize || end - entrySize < tableStart)
                throw new CryptoFormatException($"OVMF footer: entry {guid} has invalid size {entrySize}");
            var data = image.Slice(end - entrySize, entrySize - EntryTrailerSize);
            if (guid == KnownGuids.OvmfKernelHashesArea)
                hashes = ReadArea(data, "kernel hashes area");
            else if (guid == KnownGuids.OvmfSecretArea)
                secret = ReadArea(data, "secret area");
            else if (guid == KnownGuids.OvmfSevEsResetBlock && data.Length >= 4)
                resetAddress = BinaryPrimitives.ReadUInt32LittleEndian(data);
            end -= entrySize;
        }
        return new OvmfFooter(hashes, secret, resetAddress, HasGuidTable: true);
    }

    // Builds without the feature (OvmfX64) still carry the entry with base 0 and size 0: that means "absent".
    private static OvmfArea? ReadArea(ReadOnlySpan<byte> data, string what)
    {
        if (data.Length < 8)
            throw new CryptoFormatException($"OVMF footer: {what} entry has {data.Length} data bytes, expected 8");
        var area = new OvmfArea(BinaryPrimitives.ReadUInt32LittleEndian(data), BinaryPrimitives.ReadUInt32LittleEndian(data[4..]));
        return area.Size == 0 ? null : area;
    }
}
