using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// The <c>GuestOwnerProxy</c> settings in force. appsettings*.json are watched; an edit that does not bind
/// (a TimeSpan or enum that does not parse) or does not validate never becomes current: the last good
/// settings keep serving, and the rejection is logged once per distinct problem (not on every read).
/// The constructor reads the settings once, so bad start-up settings fail the start (ServerHost.Run: exit 2).
/// </summary>
public sealed class ServerSettings
{
    private readonly IOptionsMonitor<GuestOwnerProxyOptions> _monitor;
    private readonly ILogger<ServerSettings> _logger;
    private readonly Lock _lock = new();
    private GuestOwnerProxyOptions _lastGood;
    private string? _rejection;

    public ServerSettings(IOptionsMonitor<GuestOwnerProxyOptions> monitor, ILogger<ServerSettings> logger)
    {
        _monitor = monitor;
        _logger = logger;
        _lastGood = monitor.CurrentValue;
    }

    /// <summary>Why the current appsettings are being rejected; null while they are in force.</summary>
    public string? Rejection
    {
        get { lock (_lock) return _rejection; }
    }

    public GuestOwnerProxyOptions Current
    {
        get
        {
            GuestOwnerProxyOptions value;
            try
            {
                value = _monitor.CurrentValue;
            }
            catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException)
            {
                var problem = Describe(ex);
                lock (_lock)
                {
                    if (problem != _rejection)
                    {
                        _rejection = problem;
                        _logger.LogError("Settings change rejected, the previous settings stay in force: {Problem}", problem);
                    }
                    return _lastGood;
                }
            }
            lock (_lock)
            {
                if (_rejection is not null)
                {
                    _logger.LogInformation("Settings valid again; rejected change cleared");
                    _rejection = null;
                }
                _lastGood = value;
                return value;
            }
        }
    }

    /// <summary>One line for an options failure: validation failures joined, or the binder's message and cause.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        OptionsValidationException validation => "invalid settings: " + string.Join("; ", validation.Failures),
        _ when ex.InnerException is { } inner && inner.Message != ex.Message => $"{ex.Message} ({inner.Message})",
        _ => ex.Message,
    };
}
