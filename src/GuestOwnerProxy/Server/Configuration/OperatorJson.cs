using System.Text.Json;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>Parses an operator JSON file, turning syntax errors into messages with line and column.</summary>
internal static class OperatorJson
{
    private static readonly JsonDocumentOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = false,
    };

    /// <param name="secret">True for keys.json: the reader's message can quote input characters, so it is left out.</param>
    public static JsonDocument? Parse(string file, string text, bool secret, List<ConfigurationError> errors)
    {
        try
        {
            return JsonDocument.Parse(text, Options);
        }
        catch (JsonException ex)
        {
            long line = (ex.LineNumber ?? 0) + 1;
            long column = (ex.BytePositionInLine ?? 0) + 1;
            var message = $"JSON syntax error at line {line}, column {column}";
            if (!secret)
                message += ": " + StripPosition(ex.Message);
            errors.Add(new ConfigurationError(file, null, null, message));
            return null;
        }
    }

    // System.Text.Json appends " LineNumber: n | BytePositionInLine: m." which we already reported 1-based.
    private static string StripPosition(string message)
    {
        int at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at > 0 ? message[..at].TrimEnd() : message;
    }
}
