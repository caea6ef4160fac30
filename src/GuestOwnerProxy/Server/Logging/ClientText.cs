using System.Text;

namespace GuestOwnerProxy.Server.Logging;

/// <summary>
/// Client-supplied text (keyset ids, keybroker ids and formats, LaunchDescription) made safe for log lines,
/// audit details and error details: control and line/paragraph-separator characters are escaped as
/// <c>\uXXXX</c> (backslash as <c>\\</c>, so an escape cannot be forged) and the text is capped, so a request
/// can neither forge extra log lines nor flood the log.
/// </summary>
public static class ClientText
{
    public const int DefaultMaxLength = 64;

    public static string Quote(string? text, int maxLength = DefaultMaxLength)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        bool truncated = text.Length > maxLength;
        var shown = truncated ? text.AsSpan(0, maxLength) : text.AsSpan();
        if (!truncated && !NeedsEscaping(shown))
            return text;
        var result = new StringBuilder(shown.Length + 8);
        foreach (char c in shown)
        {
            if (c == '\\')
                result.Append(@"\\");
            else if (MustEscape(c))
                result.Append(@"\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else
                result.Append(c);
        }
        if (truncated)
            result.Append($"… ({text.Length} chars)");
        return result.ToString();
    }

    private static bool NeedsEscaping(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (c == '\\' || MustEscape(c))
                return true;
        }
        return false;
    }

    // Control characters (C0, DEL, C1), Unicode line/paragraph separators, bidi controls and lone surrogates.
    private static bool MustEscape(char c) =>
        char.IsControl(c) || c is '\u2028' or '\u2029' || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
        || char.IsSurrogate(c);
}
