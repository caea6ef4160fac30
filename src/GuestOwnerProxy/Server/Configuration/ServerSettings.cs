using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// The <c>GuestOwnerProxy</c> settings in force. Starts from the settings the server was started with (already
/// validated: bad start-up settings stop the start, ServerHost.Run exit 2). Every configuration change (appsettings*.json
/// are watched) is read again with <see cref="GuestOwnerProxySettings.Read"/>: a change that does not bind or validate
/// never becomes current, the last good settings keep serving, and the rejection is logged once when it happens.
/// <see cref="Current"/> and <see cref="Rejection"/> are plain reads.
/// </summary>
/// <remarks>
/// The listener watches the configuration's reload token rather than <c>IOptionsMonitor.OnChange</c>: the monitor
/// rebinds inside the change callback and throws a binding or validation failure to whoever raised the change,
/// so its listeners never hear of a rejected change and nothing could log it.
/// </remarks>
public sealed class ServerSettings : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly ILogger<ServerSettings> _logger;
    private readonly IDisposable _listener;
    private readonly Lock _lock = new();
    private volatile GuestOwnerProxyOptions _current;
    private string? _rejection;

    public ServerSettings(IConfiguration configuration, GuestOwnerProxyOptions startup, ILogger<ServerSettings> logger)
    {
        _configuration = configuration;
        _logger = logger;
        _current = startup;
        _listener = ChangeToken.OnChange(configuration.GetReloadToken, OnConfigurationChanged);
    }

    public GuestOwnerProxyOptions Current => _current;

    /// <summary>Settings changes that became current since start (metrics).</summary>
    public int AcceptedChanges { get; private set; }

    /// <summary>Distinct rejected settings changes since start (metrics): one per problem, as it is logged.</summary>
    public int RejectedChanges { get; private set; }

    /// <summary>Why the settings as they are now are rejected; null while they are in force.</summary>
    public string? Rejection
    {
        get { lock (_lock) return _rejection; }
    }

    private void OnConfigurationChanged()
    {
        var read = GuestOwnerProxySettings.Read(_configuration);
        lock (_lock)
        {
            if (read.Failure is { } failure)
            {
                // A file watcher may report one edit more than once: the same problem is logged once.
                if (failure != _rejection)
                {
                    _rejection = failure;
                    RejectedChanges++;
                    _logger.LogError("Settings change rejected, the previous settings stay in force: {Problem}", failure);
                }
                return;
            }
            if (_rejection is not null)
            {
                _logger.LogInformation("Settings valid again; rejected change cleared");
                _rejection = null;
            }
            _current = read.Options!;
            AcceptedChanges++;
        }
    }

    public void Dispose() => _listener.Dispose();
}
