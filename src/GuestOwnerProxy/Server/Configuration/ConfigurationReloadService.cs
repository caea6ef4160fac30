using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// Polls the configuration files for changes. Polling (rather than FileSystemWatcher alone) also
/// sees files replaced through symlink swaps (Kubernetes ConfigMaps, atomic renames) and works on
/// network file systems. Uses the system clock: file time stamps are real time.
/// </summary>
public sealed class ConfigurationReloadService : BackgroundService
{
    private readonly BrokerConfigurationStore _store;
    private readonly ServerSettings _settings;
    private readonly ILogger<ConfigurationReloadService> _logger;
    private string? _lastFailure;

    public ConfigurationReloadService(BrokerConfigurationStore store, ServerSettings settings, ILogger<ConfigurationReloadService> logger)
    {
        _store = store;
        _settings = settings;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = _settings.Current.ReloadInterval;
        if (interval <= TimeSpan.Zero)
        {
            _logger.LogInformation("Hot reload of keysets/keys is disabled (ReloadInterval {Interval})", interval);
            return;
        }
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                Poll();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Poll()
    {
        try
        {
            _store.ReloadIfChanged();
            _lastFailure = null;
        }
        catch (Exception ex)
        {
            // Never let the watcher die: the last good configuration keeps serving. The same failure is
            // logged once (with its stack trace), not on every poll.
            var failure = $"{ex.GetType().FullName}: {ex.Message}";
            if (failure == _lastFailure)
                return;
            _lastFailure = failure;
            _logger.LogError(ex, "Configuration reload failed unexpectedly ({ExceptionType}); still serving the last good version", ex.GetType().Name);
        }
    }
}
