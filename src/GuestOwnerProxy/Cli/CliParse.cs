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
            byte[] bytes = CliFiles.Read(command, option, path);
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

/// <summary>File access for commands: every failure becomes an exit-2 error naming the option and the file.</summary>
public static class CliFiles
{
    public static byte[] Read(string command, string option, string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliUsageException($"gop {command}: {option}: cannot read '{path}': {ex.Message}", ex);
        }
    }

    public static void RequireExists(string command, string option, string path)
    {
        if (!File.Exists(path))
            throw new CliUsageException($"gop {command}: {option}: file '{path}' does not exist");
    }
}
