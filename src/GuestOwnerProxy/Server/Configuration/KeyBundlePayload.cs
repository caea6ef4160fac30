using System.Text;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// The payload of the keyset-bundle secret entry: <c>{"&lt;key id&gt;": "&lt;base64&gt;", ...}</c>, byte for byte
/// what the original proxy sent (Python <c>json.dumps</c> defaults: ", " and ": " separators,
/// non-ASCII escaped as \uXXXX, '/' and '+' left alone), values copied verbatim from keys.json.
/// The result is secret material: callers zero it when done.
/// </summary>
public static class KeyBundlePayload
{
    public static byte[] Build(IReadOnlyList<string> keyIds, IReadOnlyDictionary<string, string> keys)
    {
        var json = new StringBuilder();
        json.Append('{');
        for (int i = 0; i < keyIds.Count; i++)
        {
            if (i > 0) json.Append(", ");
            AppendString(json, keyIds[i]);
            json.Append(": ");
            AppendString(json, keys[keyIds[i]]);
        }
        json.Append('}');
        var bytes = Encoding.ASCII.GetBytes(json.ToString());
        json.Clear();
        return bytes;
    }

    /// <summary>Length of <see cref="Build"/>'s output, for size checks at load time without materialising keys twice.</summary>
    public static int Length(IReadOnlyList<string> keyIds, IReadOnlyDictionary<string, string> keys)
    {
        var bytes = Build(keyIds, keys);
        int length = bytes.Length;
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        return length;
    }

    private static void AppendString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7f)
                        json.Append("\\u").Append(((int)c).ToString("x4"));
                    else
                        json.Append(c);
                    break;
            }
        }
        json.Append('"');
    }
}
