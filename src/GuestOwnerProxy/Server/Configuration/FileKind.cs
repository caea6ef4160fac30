using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Server.Configuration;

public enum FileKindResult
{
    Missing,
    Regular,
    Directory,
    /// <summary>A FIFO, socket or device: opening or reading it can block start-up forever.</summary>
    Special,
}

/// <summary>
/// What a configured path is, so the loader never opens a FIFO (blocks until a writer appears) or a
/// device (/dev/zero never ends). The file type comes from the crypto core's statx probe; where the kernel
/// cannot be asked, every existing non-directory counts as regular and the bounded reads are the guard.
/// The refusal itself (<see cref="Problem"/>) is the core's <see cref="RegularFile"/>, which every CLI file argument
/// passes too, so the server and the CLI refuse the same files in the same words.
/// </summary>
public static class FileKind
{
    public static FileKindResult Of(string path)
    {
        if (Directory.Exists(path))
            return FileKindResult.Directory;
        if (!File.Exists(path))
            return FileKindResult.Missing;
        return UnixFileType.Of(path) switch
        {
            UnixFileKind.Regular or UnixFileKind.Unknown => FileKindResult.Regular,
            UnixFileKind.Directory => FileKindResult.Directory,
            _ => FileKindResult.Special,
        };
    }

    /// <summary>Null when <paramref name="path"/> is a regular file, otherwise why it cannot be used, in the words the CLI uses too.</summary>
    public static string? Problem(string path) => RegularFile.Problem(path);
}
