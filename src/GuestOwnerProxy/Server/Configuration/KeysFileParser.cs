using System.Text.Json;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// Reads keys.json: key id → base64 string. The value is kept verbatim (it goes into the secret
/// payload as the operator wrote it); it is only checked to be valid base64. Messages name the key
/// id, never the value.
/// </summary>
public static class KeysFileParser
{
    public static IReadOnlyDictionary<string, string> Parse(string file, string text, List<ConfigurationError> errors)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        using var document = OperatorJson.Parse(file, text, secret: true, errors);
        if (document is null)
            return keys;
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ConfigurationError(file, null, null,
                $"top level must be an object of key id → base64 string, found {JsonFieldReader.Describe(document.RootElement)}"));
            return keys;
        }
        foreach (var property in document.RootElement.EnumerateObject())
        {
            var field = $"key '{property.Name}'";
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                errors.Add(new ConfigurationError(file, null, field,
                    $"value must be a base64 string, found {TypeOnly(property.Value)}"));
                continue;
            }
            var value = property.Value.GetString()!;
            if (value.Length == 0)
            {
                errors.Add(new ConfigurationError(file, null, field, "value is empty"));
                continue;
            }
            var scratch = new byte[value.Length];
            bool valid = Convert.TryFromBase64String(value, scratch, out _);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(scratch);
            if (!valid)
            {
                errors.Add(new ConfigurationError(file, null, field, "value is not valid base64"));
                continue;
            }
            if (!keys.TryAdd(property.Name, value))
                errors.Add(new ConfigurationError(file, null, field, "is defined twice"));
        }
        return keys;
    }

    // Unlike JsonFieldReader.Describe, never shows a number: it could be key material.
    private static string TypeOnly(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        _ => JsonFieldReader.Describe(value),
    };
}
