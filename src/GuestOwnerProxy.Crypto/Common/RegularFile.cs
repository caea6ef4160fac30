namespace GuestOwnerProxy.Crypto.Common;

/// <summary>A file was refused before or while it was read: not a regular file, or larger than its format allows.</summary>
public sealed class FileRefusedException(string message) : IOException(message);

/// <summary>
/// The one check every operator-named input file passes, for the server's loader and for every CLI command alike:
/// it must be a regular file (a FIFO blocks open() until a writer appears, /dev/zero never ends), and reads are
/// bounded by a cap the caller states for its format, so a file that grows or a device the kernel could not be
/// asked about is cut off instead of filling memory. The wording of each refusal lives here only.
/// </summary>
public static class RegularFile
{
    /// <summary>Null when <paramref name="path"/> is a regular file (or the kernel cannot be asked), otherwise why it cannot be read.</summary>
    public static string? Problem(string path)
    {
        if (Directory.Exists(path))
            return $"'{path}' is a directory, not a regular file";
        if (!File.Exists(path))
            return $"file '{path}' does not exist";
        return UnixFileType.NotRegularReason(path) is { } what ? $"'{path}' is {what}, not a regular file" : null;
    }

    /// <summary>Why a file of <paramref name="length"/> bytes is refused for a format of at most <paramref name="maxBytes"/>; null when it fits.</summary>
    public static string? SizeProblem(string path, long length, long maxBytes, string format) =>
        length > maxBytes ? $"'{path}' is {length} bytes, larger than {format} can be (at most {maxBytes})" : null;

    /// <summary>
    /// The bytes of a regular file of at most <paramref name="maxBytes"/> bytes (<paramref name="format"/> names what the
    /// file holds, for the message). Throws <see cref="FileRefusedException"/> for a file of another type or size, and
    /// the usual <see cref="IOException"/>/<see cref="UnauthorizedAccessException"/> when it cannot be opened.
    /// </summary>
    public static byte[] ReadAll(string path, long maxBytes, string format)
    {
        if (Problem(path) is { } problem)
            throw new FileRefusedException(problem);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        if (stream.CanSeek && SizeProblem(path, stream.Length, maxBytes, format) is { } tooLarge)
            throw new FileRefusedException(tooLarge);
        // Read at most one byte beyond the cap: a device reported as regular, or a file growing meanwhile, stops here.
        var buffer = new MemoryStream();
        var chunk = new byte[(int)Math.Min(1 << 16, maxBytes + 1)];
        int read;
        while ((read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxBytes + 1 - buffer.Length))) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
                throw new FileRefusedException($"'{path}' yields more than {maxBytes} bytes, more than {format} can be");
        }
        return buffer.ToArray();
    }
}
