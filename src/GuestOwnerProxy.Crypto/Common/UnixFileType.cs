using System.Runtime.InteropServices;

namespace GuestOwnerProxy.Crypto.Common;

/// <summary>What the kernel says a path is.</summary>
public enum UnixFileKind
{
    /// <summary>The type could not be asked (not Linux, no statx, missing file, no permission).</summary>
    Unknown,
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
}

/// <summary>
/// The file type of a path, from statx(2). .NET reports FIFOs and devices as ordinary files (attributes
/// "Normal", CanSeek true), yet opening a FIFO blocks until a writer appears and /dev/zero never ends: the
/// launch-digest code and the configuration loader ask this before they open an operator-named file.
/// </summary>
public static class UnixFileType
{
    // struct statx has the same layout on every Linux architecture: stx_mode is the u16 at offset 28.
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int StatxBufferSize = 256;
    private const int StxModeOffset = 28;
    private const int SIfmt = 0xF000;

    private static bool _unavailable = !OperatingSystem.IsLinux();

    public static UnixFileKind Of(string path)
    {
        if (_unavailable)
            return UnixFileKind.Unknown;
        var buffer = new byte[StatxBufferSize];
        try
        {
            if (statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
                return UnixFileKind.Unknown; // missing, no permission, seccomp: the open reports it in .NET's words
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true; // libc without statx: callers fall back to bounded reads
            return UnixFileKind.Unknown;
        }
        return (BitConverter.ToUInt16(buffer, StxModeOffset) & SIfmt) switch
        {
            0x8000 => UnixFileKind.Regular,
            0x4000 => UnixFileKind.Directory,
            0x1000 => UnixFileKind.Fifo,
            0x2000 => UnixFileKind.CharacterDevice,
            0x6000 => UnixFileKind.BlockDevice,
            0xC000 => UnixFileKind.Socket,
            _ => UnixFileKind.Unknown,
        };
    }

    /// <summary>Why a path that is known not to be a regular file cannot be read; null otherwise.</summary>
    public static string? NotRegularReason(string path) => Of(path) switch
    {
        UnixFileKind.Fifo => "a FIFO",
        UnixFileKind.CharacterDevice => "a character device",
        UnixFileKind.BlockDevice => "a block device",
        UnixFileKind.Socket => "a socket",
        UnixFileKind.Directory => "a directory",
        _ => null,
    };

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
