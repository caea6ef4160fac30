namespace GuestOwnerProxy.Server.Configuration;

/// <summary>One problem in an operator file, named by file, keyset and field so it can be fixed without guessing.</summary>
public sealed record ConfigurationError(string File, string? Keyset, string? Field, string Message)
{
    public override string ToString()
    {
        var where = File;
        if (Keyset is not null)
            where += $": keyset '{Keyset}'";
        if (Field is not null)
            where += $": {Field}";
        return $"{where}: {Message}";
    }
}

/// <summary>The configuration did not validate. Messages never contain key material.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(IReadOnlyList<ConfigurationError> errors)
        : base(Format(errors)) => Errors = errors;

    public ConfigurationException(string file, string message)
        : this([new ConfigurationError(file, null, null, message)]) { }

    public IReadOnlyList<ConfigurationError> Errors { get; }

    private static string Format(IReadOnlyList<ConfigurationError> errors) =>
        errors.Count == 1
            ? $"invalid configuration: {errors[0]}"
            : $"invalid configuration ({errors.Count} errors):{Environment.NewLine}  " +
              string.Join(Environment.NewLine + "  ", errors);
}
