namespace GuestOwnerProxy.Server.Configuration;

/// <summary>Launch digests as operators write them: hex (AMD tools) or base64 (Hygon's helper), 32 bytes either way.</summary>
public static class DigestText
{
    public const int DigestSize = 32;

    public static bool TryDecode(string text, out byte[] digest, out string problem)
    {
        text = text.Trim();
        digest = [];
        problem = "";
        if (text.Length == DigestSize * 2 && text.All(Uri.IsHexDigit))
        {
            digest = Convert.FromHexString(text);
            return true;
        }
        var buffer = new byte[text.Length];
        if (Convert.TryFromBase64String(text, buffer, out int written))
        {
            if (written == DigestSize)
            {
                digest = buffer[..written];
                return true;
            }
            problem = $"'{text}' decodes (base64) to {written} bytes, a launch digest has {DigestSize}";
            return false;
        }
        problem = text.All(Uri.IsHexDigit)
            ? $"'{text}' has {text.Length} hex digits, a launch digest has {DigestSize * 2}"
            : $"'{text}' is neither hex nor base64";
        return false;
    }
}
