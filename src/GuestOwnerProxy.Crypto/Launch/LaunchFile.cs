using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// Opens the files a launch digest is computed from (OVMF, kernel, initrd) and reads them with a bound.
/// Only regular files are accepted: a FIFO blocks the server in open() until some writer appears, and a
/// character device such as /dev/zero reports length 0 but never ends. .NET reports neither as special
/// (attributes "Normal", CanSeek true), so the file type is asked of the kernel (statx) where available,
/// and every read is additionally bounded by the length seen at open time.
/// </summary>
internal static class LaunchFile
{
    private const int BufferSize = 1 << 16;

    public static FileStream OpenRegular(string role, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        RequireRegularFile(role, path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        }
        catch (Exception ex) when (IsFileAccessError(ex))
        {
            throw CannotRead(role, path, ex);
        }
        if (!stream.CanSeek)
        {
            stream.Dispose();
            throw new CryptoFormatException($"{role} file '{path}' is not a regular file (not seekable: a pipe or device?)");
        }
        return stream;
    }

    /// <summary>Feeds exactly the bytes the file had when opened to <paramref name="sink"/>; a file that shrinks,
    /// grows, or yields data beyond its reported length (a device) is an error rather than a wrong digest or a hang.</summary>
    public static void ReadAll(string role, string path, FileStream stream, Action<ReadOnlySpan<byte>> sink)
    {
        long remaining = stream.Length - stream.Position;
        var buffer = new byte[BufferSize];
        while (remaining > 0)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0)
                throw new CryptoFormatException($"{role} file '{path}' became shorter while it was read");
            sink(buffer.AsSpan(0, read));
            remaining -= read;
        }
        if (stream.Read(buffer, 0, 1) != 0)
            throw new CryptoFormatException($"{role} file '{path}' yields more bytes than its length (a device, or a file growing while it is read)");
    }

    public static bool IsFileAccessError(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException;

    public static CryptoFormatException CannotRead(string role, string? path, Exception ex) =>
        new($"cannot read {role} file '{path}': {ex.Message}", ex);

    private static void RequireRegularFile(string role, string path)
    {
        if (UnixFileType.NotRegularReason(path) is { } what)
            throw new CryptoFormatException($"{role} file '{path}' is not a regular file ({what})");
    }
}
