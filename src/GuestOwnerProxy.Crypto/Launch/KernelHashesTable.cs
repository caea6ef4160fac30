using System.Buffers.Binary;
using System.Security.Cryptography;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// QEMU's SevHashTable: SHA-256 of cmdline, initrd and kernel, appended to the measured firmware when
/// QEMU runs with kernel-hashes=on. Entry hashes are SHA-256 on both platforms (only the outer launch
/// digest is SM3 on CSV).
/// </summary>
public static class KernelHashesTable
{
    private const int GuidSize = 16;
    private const int HashSize = 32;
    private const int EntrySize = GuidSize + 2 + HashSize;        // 50
    public const int TableSize = GuidSize + 2 + 3 * EntrySize;     // 168, the length QEMU writes
    public const int PaddedSize = 176;                             // rounded up to 16

    /// <summary>Builds the padded table from the three SHA-256 hashes.</summary>
    public static byte[] Build(ReadOnlySpan<byte> cmdlineHash, ReadOnlySpan<byte> initrdHash, ReadOnlySpan<byte> kernelHash)
    {
        var table = new byte[PaddedSize];
        var span = table.AsSpan();
        KnownGuids.HashTableHeader.TryWriteBytes(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[GuidSize..], TableSize);
        int offset = GuidSize + 2;
        WriteEntry(span[offset..], KnownGuids.CmdlineEntry, cmdlineHash);
        WriteEntry(span[(offset + EntrySize)..], KnownGuids.InitrdEntry, initrdHash);
        WriteEntry(span[(offset + 2 * EntrySize)..], KnownGuids.KernelEntry, kernelHash);
        return table;
    }

    /// <summary>SHA-256 of the command line as QEMU measures it: the string bytes plus a terminating NUL.</summary>
    public static byte[] HashCmdline(ReadOnlySpan<byte> cmdline)
    {
        var withNul = new byte[cmdline.Length + 1];
        cmdline.CopyTo(withNul);
        return SHA256.HashData(withNul);
    }

    public static byte[] HashFile(string? path) => HashFile(path, "measured");

    /// <summary>SHA-256 of a regular file (no file: SHA-256 of empty input). <paramref name="role"/> names it in errors.</summary>
    internal static byte[] HashFile(string? path, string role)
    {
        if (path is null)
            return SHA256.HashData(ReadOnlySpan<byte>.Empty);
        using var stream = LaunchFile.OpenRegular(role, path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        LaunchFile.ReadAll(role, path, stream, hash.AppendData);
        return hash.GetHashAndReset();
    }

    private static void WriteEntry(Span<byte> destination, Guid guid, ReadOnlySpan<byte> hash)
    {
        if (hash.Length != HashSize)
            throw new ArgumentException($"kernel hashes table entry {guid} needs a {HashSize}-byte SHA-256, got {hash.Length}");
        guid.TryWriteBytes(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[GuidSize..], EntrySize);
        hash.CopyTo(destination[(GuidSize + 2)..]);
    }
}
