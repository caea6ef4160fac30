using System.Text.Json;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// Typed access to one JSON object of an operator file that records every problem as a
/// <see cref="ConfigurationError"/> naming file, keyset and field instead of throwing at the first one.
/// </summary>
internal sealed class JsonFieldReader
{
    private readonly string _file;
    private readonly string? _keyset;
    private readonly string _prefix;
    private readonly List<ConfigurationError> _errors;

    public JsonFieldReader(string file, string? keyset, JsonElement element, List<ConfigurationError> errors, string prefix = "")
    {
        _file = file;
        _keyset = keyset;
        _prefix = prefix;
        _errors = errors;
        Element = element;
    }

    public JsonElement Element { get; }

    public void Error(string? field, string message) =>
        _errors.Add(new ConfigurationError(_file, _keyset, field is null ? NullIfEmpty(_prefix) : _prefix + field, message));

    public bool Has(string field) => Element.TryGetProperty(field, out _);

    public IEnumerable<string> FieldNames() => Element.EnumerateObject().Select(p => p.Name);

    /// <summary>
    /// JSON objects may repeat a name and System.Text.Json keeps both (lookups see one of them): an operator
    /// who pasted a field twice must be told which one is meant, so a repeated name is an error.
    /// </summary>
    public void RejectDuplicateFields()
    {
        foreach (var name in FieldNames().GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))
            Error(name, "is given more than once (JSON keeps both; remove one)");
    }

    public string? String(string field, bool required = false)
    {
        if (!Element.TryGetProperty(field, out var value))
        {
            if (required) Error(field, "is required");
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            Error(field, $"must be a string, found {Describe(value)}");
            return null;
        }
        return value.GetString();
    }

    public bool? Bool(string field)
    {
        if (!Element.TryGetProperty(field, out var value))
            return null;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            return value.GetBoolean();
        Error(field, $"must be true or false, found {Describe(value)}");
        return null;
    }

    public long? Integer(string field, long min, long max)
    {
        if (!Element.TryGetProperty(field, out var value))
            return null;
        return IntegerValue(field, value, min, max);
    }

    /// <summary>An array of elements; null when absent (or wrong type, recorded).</summary>
    public List<(JsonElement Value, string Field)>? Array(string field, bool required = false)
    {
        if (!Element.TryGetProperty(field, out var value))
        {
            if (required) Error(field, "is required");
            return null;
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(field, $"must be an array, found {Describe(value)}");
            return null;
        }
        return value.EnumerateArray().Select((v, i) => (v, $"{field}[{i}]")).ToList();
    }

    public List<(string Value, string Field)>? StringArray(string field, bool required = false)
    {
        var items = Array(field, required);
        if (items is null) return null;
        var result = new List<(string, string)>();
        foreach (var (v, name) in items)
        {
            if (v.ValueKind == JsonValueKind.String)
                result.Add((v.GetString()!, name));
            else
                Error(name, $"must be a string, found {Describe(v)}");
        }
        return result;
    }

    public List<long>? IntegerArray(string field, long min, long max, bool required = false)
    {
        var items = Array(field, required);
        if (items is null) return null;
        var result = new List<long>();
        foreach (var (v, name) in items)
        {
            if (IntegerValue(name, v, min, max) is { } n)
                result.Add(n);
        }
        return result;
    }

    private long? IntegerValue(string field, JsonElement value, long min, long max)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var n))
        {
            Error(field, $"must be an integer, found {Describe(value)}");
            return null;
        }
        if (n < min || n > max)
        {
            Error(field, $"{n} is out of range [{min}, {max}]");
            return null;
        }
        return n;
    }

    /// <summary>Type (and for harmless scalars the value) of a JSON element, for messages. Never used on key values.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => value.ValueKind.ToString(),
    };

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s.TrimEnd('.');
}
