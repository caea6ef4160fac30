using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>The settings could not be used; the message is one line naming the setting.</summary>
public sealed class SettingsException(string message) : Exception(message);

/// <summary>Bound and validated settings, or the one-line reason they are refused.</summary>
public sealed record SettingsReadResult(GuestOwnerProxyOptions? Options, string? Failure)
{
    /// <exception cref="SettingsException">the settings are refused.</exception>
    public GuestOwnerProxyOptions OrThrow() => Options ?? throw new SettingsException(Failure!);
}

/// <summary>
/// Reads the <c>GuestOwnerProxy</c> section: refuses keys no setting reads (<see cref="SettingNames"/>), binds it and applies <see cref="GuestOwnerProxyOptionsValidator"/>.
/// The one way settings are read: at server start (ServerHost), on every settings change (<see cref="ServerSettings"/>)
/// and by <c>gop check-config</c>, so all three accept and refuse the same settings with the same message.
/// </summary>
public static class GuestOwnerProxySettings
{
    private static readonly GuestOwnerProxyOptionsValidator Validator = new();

    public static SettingsReadResult Read(IConfiguration configuration)
    {
        // Before binding: the binder ignores a key no setting reads, so a misspelt setting would silently stay at its default.
        if (SettingNames.UnknownFields(configuration) is { Count: > 0 } unknown)
            return new SettingsReadResult(null, "invalid settings: " + string.Join("; ", unknown));
        GuestOwnerProxyOptions options;
        try
        {
            options = configuration.GetSection(GuestOwnerProxyOptions.SectionName).Get<GuestOwnerProxyOptions>() ?? new();
        }
        catch (InvalidOperationException ex)
        {
            // A TimeSpan, number, bool or enum that does not parse; the binder's message names the path and value.
            return new SettingsReadResult(null, "invalid settings: " + BindingFailure(ex));
        }
        var result = Validator.Validate(Options.DefaultName, options);
        return result.Failed
            ? new SettingsReadResult(null, "invalid settings: " + string.Join("; ", result.Failures ?? [result.FailureMessage]))
            : new SettingsReadResult(options, null);
    }

    private static string BindingFailure(Exception ex)
    {
        var text = ex.InnerException is { } inner && inner.Message != ex.Message ? $"{ex.Message} ({inner.Message})" : ex.Message;
        return text.ReplaceLineEndings(" ");
    }
}
