using System.Buffers.Binary;

namespace GuestOwnerProxy.Platform;

/// <summary>
/// Reads a secret area the way Linux drivers/virt/coco/efi_secret does, so the simulator rejects
/// exactly what a real guest would: header GUID, table length in [20, area size], entries of
/// GUID ‖ u32 length (≥ 20 and within the table) ‖ data; entries with the null GUID are deleted
/// ones and skipped; a tail shorter than an entry header is ignored.
/// </summary>
internal static class EfiSecretArea
{
    public static readonly Guid TableHeaderGuid = new("1e74f542-71dd-4d66-963e-ef4287ff173b");

    private const int GuidSize = 16;
    private const int LengthOffset = 16;
    private const int HeaderSize = 20;
    private const int EntryHeaderSize = 20;
    // efi_secret creates at most this many files; later entries are not visible to the guest.
    private const int MaxEntries = 64;

    public static IReadOnlyList<GuestSecretEntry> Parse(ReadOnlySpan<byte> area)
    {
        if (area.Length < HeaderSize)
            throw Malformed($"secret area is {area.Length} bytes, smaller than the {HeaderSize}-byte table header");
        var guid = new Guid(area[..GuidSize]);
        if (guid != TableHeaderGuid)
            throw Malformed($"secret area does not start with the table GUID {TableHeaderGuid} (found {guid})");

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(area[LengthOffset..]);
        if (length < HeaderSize)
            throw Malformed($"table length {length} is smaller than the {HeaderSize}-byte header");
        if (length > (uint)area.Length)
            throw Malformed($"table length {length} is larger than the {area.Length}-byte secret area");

        var entries = new List<GuestSecretEntry>();
        int offset = HeaderSize;
        int left = (int)length - HeaderSize;
        while (left >= EntryHeaderSize && entries.Count < MaxEntries)
        {
            var entryGuid = new Guid(area.Slice(offset, GuidSize));
            uint entryLength = BinaryPrimitives.ReadUInt32LittleEndian(area[(offset + GuidSize)..]);
            if (entryLength < EntryHeaderSize)
                throw Malformed($"entry at offset {offset} has length {entryLength}, smaller than its {EntryHeaderSize}-byte header");
            if (entryLength > (uint)left)
                throw Malformed($"entry at offset {offset} has length {entryLength}, running past the table end ({left} bytes left)");
            if (entryGuid != Guid.Empty)
                entries.Add(new GuestSecretEntry(entryGuid,
                    area.Slice(offset + EntryHeaderSize, (int)entryLength - EntryHeaderSize).ToArray()));
            offset += (int)entryLength;
            left -= (int)entryLength;
        }
        return entries;
    }

    private static FirmwareException Malformed(string reason) =>
        new(FirmwareError.MalformedSecretTable, "secret table rejected by the guest (efi_secret): " + reason);
}
