using System.Buffers.Binary;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// The plaintext secret table Linux's efi_secret reads from the OVMF secret area:
/// header GUID ‖ u32 length ‖ entries (GUID ‖ u32 entry length ‖ data), zero padded to 16 bytes.
/// Length convention: the header carries the UNPADDED length (20 + Σ entries), as sevctl, libvirt
/// and simple-kbs write it (pinned by vector S9); the Python proxy wrote the padded length, which
/// Linux also accepts, but one convention is all we produce.
/// </summary>
public sealed class SecretTable
{
    public const int HeaderSize = 16 + 4;
    public const int EntryHeaderSize = 16 + 4;
    /// <summary>Secret area size of current AmdSev OVMF builds.</summary>
    public const int DefaultAreaSize = 3072;

    private readonly List<(Guid Guid, byte[] Data)> _entries = [];

    public IReadOnlyList<(Guid Guid, byte[] Data)> Entries => _entries;

    public SecretTable Add(Guid guid, ReadOnlySpan<byte> data)
    {
        // Linux efi_secret treats an entry with the null GUID as deleted: the guest would never see it.
        if (guid == Guid.Empty)
            throw new CryptoFormatException("secret table entry GUID must not be the null GUID (efi_secret treats such entries as deleted)");
        if (_entries.Any(e => e.Guid == guid))
            throw new CryptoFormatException($"secret table already has an entry {guid}");
        _entries.Add((guid, data.ToArray()));
        return this;
    }

    /// <summary>Unpadded length: what the header's length field says.</summary>
    public int Length => HeaderSize + _entries.Sum(e => EntryHeaderSize + e.Data.Length);

    public int PaddedLength => PaddedLengthFor(_entries.Select(e => e.Data.Length));

    /// <summary>The padded table size for entries of these payload lengths, without building it (configuration checks).</summary>
    public static int PaddedLengthFor(IEnumerable<int> payloadLengths) =>
        (HeaderSize + payloadLengths.Sum(n => EntryHeaderSize + n) + 15) & ~15;

    /// <summary>Serializes and pads the table. Refuses a table that would not fit the secret area.</summary>
    public byte[] Build(int areaSize = DefaultAreaSize)
    {
        if (PaddedLength > areaSize)
            throw new CryptoFormatException(
                $"secret table of {PaddedLength} bytes (padded) exceeds the OVMF secret area of {areaSize} bytes");
        var table = new byte[PaddedLength];
        var span = table.AsSpan();
        KnownGuids.SecretTableHeader.TryWriteBytes(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], (uint)Length);
        int offset = HeaderSize;
        foreach (var (guid, data) in _entries)
        {
            guid.TryWriteBytes(span[offset..]);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(offset + 16)..], (uint)(EntryHeaderSize + data.Length));
            data.CopyTo(span[(offset + EntryHeaderSize)..]);
            offset += EntryHeaderSize + data.Length;
        }
        return table;
    }

    /// <summary>Zeroes the entry buffers this table copied (they hold plaintext secrets).</summary>
    public void Clear()
    {
        foreach (var (_, data) in _entries)
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(data);
        _entries.Clear();
    }
}
