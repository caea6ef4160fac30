using System.Globalization;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Cli;

/// <summary>Parsing of option values. Errors name the command and the option; secret values are never echoed.</summary>
public static class CliParse
{
    public static int Int32(string command, string option, string text) =>
        TryInteger(text, out long v) && v is >= int.MinValue and <= int.MaxValue
            ? (int)v
            : throw Bad(command, option, $"'{text}' is not a 32-bit integer (decimal or 0x hex)");

    public static long Int64(string command, string option, string text) =>
        TryInteger(text, out long v) ? v : throw Bad(command, option, $"'{text}' is not an integer (decimal or 0x hex)");

    /// <summary>Policies are raw u32 bits: decimal or 0x hex, and a negative int32 as the gRPC field carries it.</summary>
    public static uint UInt32(string command, string option, string text)
    {
        if (TryInteger(text, out long v))
        {
            if (v is >= 0 and <= uint.MaxValue)
                return (uint)v;
            if (v is < 0 and >= int.MinValue)
                return unchecked((uint)(int)v);
        }
        throw Bad(command, option, $"'{text}' is not a 32-bit unsigned integer (decimal or 0x hex)");
    }

    public static PlatformKind Platform(string command, string text) => Crypto.Common.PlatformNames.TryParse(text, out var platform)
        ? platform
        : throw Bad(command, "--platform", $"'{text}' is not a platform ({Crypto.Common.PlatformNames.Expected})");

    /// <summary>Hex bytes of an exact length (public values only: the text is quoted in the error).</summary>
    public static byte[] Hex(string command, string option, string text, int? length = null)
    {
        var clean = text.Trim();
        if (clean.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            clean = clean[2..];
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(clean);
        }
        catch (FormatException)
        {
            throw Bad(command, option, $"'{Shorten(text)}' is not hex");
        }
        if (length is { } n && bytes.Length != n)
            throw Bad(command, option, $"{bytes.Length} bytes of hex, expected {n}");
        return bytes;
    }

    /// <summary>
    /// A key given as <c>HEX</c> or <c>@FILE</c>: a 16-byte file is raw key bytes (sevctl's tik.bin/tek.bin);
    /// any other file must hold the key as hex text. Never echoes the value.
    /// </summary>
    public static byte[] Key(string command, string option, string text, int length = 16)
    {
        if (text.StartsWith('@'))
        {
            string path = text[1..];
            byte[] bytes = CliFiles.Read(command, option, path, FileFormat.Key);
            if (bytes.Length == length)
                return bytes;
            string content;
            try
            {
                content = System.Text.Encoding.ASCII.GetString(bytes).Trim();
                var key = Convert.FromHexString(content);
                if (key.Length == length)
                    return key;
            }
            catch (FormatException)
            {
            }
            throw Bad(command, option, $"file '{path}' holds neither {length} raw key bytes nor {length} bytes of hex text ({bytes.Length} bytes)");
        }
        try
        {
            var key = Convert.FromHexString(text.Trim());
            if (key.Length == length)
                return key;
            throw Bad(command, option, $"key is {key.Length} bytes, expected {length} ({2 * length} hex digits)");
        }
        catch (FormatException)
        {
            throw Bad(command, option, $"key is not hex (give {2 * length} hex digits, or @FILE)");
        }
    }

    public static byte[] Base64(string command, string option, string text)
    {
        try
        {
            return Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            throw Bad(command, option, $"'{Shorten(text)}' is not base64");
        }
    }

    public static Guid Guid(string command, string option, string text) =>
        System.Guid.TryParse(text, out var g) ? g : throw Bad(command, option, $"'{text}' is not a GUID");

    public static CliUsageException Bad(string command, string option, string reason) =>
        new($"gop {command}: {option}: {reason}");

    private static bool TryInteger(string text, out long value)
    {
        var t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return long.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        return long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}

/// <summary>
/// What a file argument holds and the most bytes that format can have: the read stops one byte past it, so
/// /dev/zero, a growing file or a wrong file is refused at once instead of filling memory.
/// </summary>
public sealed record FileFormat(string Name, long MaxBytes)
{
    /// <summary>Certificates back to back: the largest full export is 11,536 bytes (SEV PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK); 64 KiB leaves room for any concatenation an operator makes.</summary>
    public static readonly FileFormat Certificates = new("a certificate file", 64 * 1024);

    /// <summary>A TEK/TIK: 16 raw bytes (sevctl's tik.bin) or 32 hex digits with some whitespace around them.</summary>
    public static readonly FileFormat Key = new("a key file (16 raw bytes or hex text)", 256);

    /// <summary>OVMF, kernel and initrd: no fixed size, but no firmware or boot image comes near 1 GiB.</summary>
    public static readonly FileFormat BootImage = new("a firmware, kernel or initrd image", 1L << 30);

    /// <summary>A secret payload cannot exceed the secret area it is built for.</summary>
    public static FileFormat Secret(int areaSize) => new($"a secret for a {areaSize}-byte secret area", areaSize);

    /// <summary>/etc/gop/client.conf: a handful of key=value lines.</summary>
    public static readonly FileFormat ClientConfig = new("a client config file", 64 * 1024);
}

/// <summary>
/// File access for commands: every file argument passes the server loader's check (<see cref="RegularFile"/>: a regular
/// file, within its format's size), and every failure becomes an exit-2 error naming the option and the file.
/// </summary>
public static class CliFiles
{
    public static byte[] Read(string command, string option, string path, FileFormat format)
    {
        try
        {
            return RegularFile.ReadAll(path, format.MaxBytes, format.Name);
        }
        catch (FileRefusedException ex)
        {
            throw new CliUsageException($"gop {command}: {option}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliUsageException($"gop {command}: {option}: cannot read '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// For a file another reader opens (the launch digest, the settings loader): it must be a regular file and, when
    /// <paramref name="format"/> is given, within its size, checked before anything opens it.
    /// </summary>
    public static void RequireRegular(string command, string option, string path, FileFormat? format = null)
    {
        if (Problem(path, format) is { } problem)
            throw new CliUsageException($"gop {command}: {option}: {problem}");
    }

    /// <summary>Why <paramref name="path"/> cannot be read as <paramref name="format"/>; null when it can.</summary>
    public static string? Problem(string path, FileFormat? format = null)
    {
        if (RegularFile.Problem(path) is { } problem)
            return problem;
        if (format is null)
            return null;
        try
        {
            return RegularFile.SizeProblem(path, new FileInfo(path).Length, format.MaxBytes, format.Name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot read '{path}': {ex.Message}";
        }
    }
}
