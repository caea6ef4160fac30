using GuestOwnerProxy.Server.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// Polls the configuration files for changes. Polling (rather than FileSystemWatcher alone) also
/// sees files replaced through symlink swaps (Kubernetes ConfigMaps, atomic renames) and works on
/// network file systems. Uses the system clock: file time stamps are real time. Each poll also checks the appended
/// log files (<see cref="LogFiles"/>): one renamed or deleted without a SIGHUP is created again at its path.
/// </summary>
public sealed class ConfigurationReloadService : BackgroundService
{
    private readonly BrokerConfigurationStore _store;
    private readonly ServerSettings _settings;
    private readonly LogFiles _logFiles;
    private readonly ILogger<ConfigurationReloadService> _logger;
    private string? _lastFailure;
    private string? _lastLogFileFailure;

    public ConfigurationReloadService(BrokerConfigurationStore store, ServerSettings settings, LogFiles logFiles,
        ILogger<ConfigurationReloadService> logger)
    {
        _store = store;
        _logFiles = logFiles;
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
        FollowLogFiles();
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

    private void FollowLogFiles()
    {
        var (reopened, failures) = _logFiles.ReopenReplaced();
        foreach (var path in reopened)
            _logger.LogInformation("Log file {Path} was renamed or deleted; writing to a new file at that path", path);
        // A directory removed under the server fails every poll: said once until it changes.
        var failure = failures.Count == 0 ? null : string.Join("; ", failures);
        if (failure is not null && failure != _lastLogFileFailure)
            _logger.LogError("Could not reopen a renamed or deleted log file, still writing to the old one: {Problem}", failure);
        _lastLogFileFailure = failure;
    }
}
