using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Logging;

/// <summary>
/// SIGHUP reopens every log file, as logrotate's <c>postrotate kill -HUP</c> (and systemd's <c>ExecReload</c>)
/// expect of a daemon; without a handler .NET ends the process (exit 129). Nothing else is reloaded on SIGHUP:
/// the configuration files are polled anyway.
/// </summary>
public sealed class HangupReopener(LogFiles files, ILogger<HangupReopener> logger) : IHostedService, IDisposable
{
    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsWindows())
            _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangup);
        return Task.CompletedTask;
    }

    private void OnHangup(PosixSignalContext context)
    {
        // The process keeps running: that is what the signal means to a daemon.
        context.Cancel = true;
        var failures = files.ReopenAll();
        if (failures.Count == 0)
            logger.LogInformation("SIGHUP: log files reopened");
        foreach (var failure in failures)
            logger.LogError("SIGHUP: could not reopen a log file, still writing to the old one: {Problem}", failure);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _registration?.Dispose();
        _registration = null;
    }
}
