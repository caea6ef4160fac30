using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// Polls the configuration files for changes. Polling (rather than FileSystemWatcher alone) also
/// sees files replaced through symlink swaps (Kubernetes ConfigMaps, atomic renames) and works on
/// network file systems. Uses the system clock: file time stamps are real time.
/// </summary>
public sealed class ConfigurationReloadService : BackgroundService
{
    private readonly BrokerConfigurationStore _store;
    private readonly IOptionsMonitor<GuestOwnerProxyOptions> _options;
    private readonly ILogger<ConfigurationReloadService> _logger;

    public ConfigurationReloadService(
        BrokerConfigurationStore store, IOptionsMonitor<GuestOwnerProxyOptions> options, ILogger<ConfigurationReloadService> logger)
    {
        _store = store;
        _options = options;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = _options.CurrentValue.ReloadInterval;
        if (interval <= TimeSpan.Zero)
        {
            _logger.LogInformation("Hot reload of keysets/keys is disabled (ReloadInterval {Interval})", interval);
            return;
        }
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    _store.ReloadIfChanged();
                }
                catch (Exception ex)
                {
                    // Never let the watcher die: the last good configuration keeps serving.
                    _logger.LogError(ex, "Configuration reload failed unexpectedly; still serving the last good version");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
