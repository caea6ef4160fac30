namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// The payload of the keyset-bundle secret entry: <c>{"&lt;key id&gt;": "&lt;base64&gt;", ...}</c>, byte for byte
/// what the original proxy sent (Python <c>json.dumps</c> defaults: ", " and ": " separators,
/// non-ASCII escaped as \uXXXX, '/' and '+' left alone), values copied verbatim from keys.json.
/// Written straight into one exactly sized byte array (length first, then the bytes): no string,
/// builder or pooled buffer ever holds the key material. The result is secret: callers zero it.
/// </summary>
public static class KeyBundlePayload
{
    private const string EntrySeparator = ", ";
    private const string NameSeparator = ": ";

    public static byte[] Build(IReadOnlyList<string> keyIds, IReadOnlyDictionary<string, string> keys)
    {
        var bytes = new byte[Length(keyIds, keys)];
        int at = 0;
        bytes[at++] = (byte)'{';
        for (int i = 0; i < keyIds.Count; i++)
        {
            if (i > 0)
                at = WriteAscii(bytes, at, EntrySeparator);
            at = WriteString(bytes, at, keyIds[i]);
            at = WriteAscii(bytes, at, NameSeparator);
            at = WriteString(bytes, at, keys[keyIds[i]]);
        }
        bytes[at++] = (byte)'}';
        if (at != bytes.Length)
            throw new InvalidOperationException($"key bundle length mismatch ({at} of {bytes.Length} bytes written)");
        return bytes;
    }

    /// <summary>Length of <see cref="Build"/>'s output, computed without materialising anything.</summary>
    public static int Length(IReadOnlyList<string> keyIds, IReadOnlyDictionary<string, string> keys)
    {
        int length = 2;
        for (int i = 0; i < keyIds.Count; i++)
        {
            if (i > 0)
                length += EntrySeparator.Length;
            length += StringLength(keyIds[i]) + NameSeparator.Length + StringLength(keys[keyIds[i]]);
        }
        return length;
    }

    private static int StringLength(string value)
    {
        int length = 2;
        foreach (char c in value)
            length += Escape(c) is { } escape ? escape.Length : c < 0x20 || c > 0x7e ? 6 : 1;
        return length;
    }

    private static int WriteString(byte[] bytes, int at, string value)
    {
        bytes[at++] = (byte)'"';
        foreach (char c in value)
        {
            if (Escape(c) is { } escape)
            {
                at = WriteAscii(bytes, at, escape);
            }
            else if (c < 0x20 || c > 0x7e)
            {
                // \uXXXX for anything outside space..tilde (DEL included), lowercase hex as Python's json.dumps (UTF-16 code units: surrogate pairs as two escapes).
                bytes[at++] = (byte)'\\';
                bytes[at++] = (byte)'u';
                for (int shift = 12; shift >= 0; shift -= 4)
                    bytes[at++] = (byte)"0123456789abcdef"[(c >> shift) & 0xf];
            }
            else
            {
                bytes[at++] = (byte)c;
            }
        }
        bytes[at++] = (byte)'"';
        return at;
    }

    private static string? Escape(char c) => c switch
    {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\b' => "\\b",
        '\f' => "\\f",
        _ => null,
    };

    private static int WriteAscii(byte[] bytes, int at, string text)
    {
        foreach (char c in text)
            bytes[at++] = (byte)c;
        return at;
    }
}
