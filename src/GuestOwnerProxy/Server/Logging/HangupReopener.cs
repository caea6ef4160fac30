using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Logging;

/// <summary>
/// SIGHUP reopens every log file, as logrotate's <c>postrotate kill -HUP</c> (and systemd's <c>ExecReload</c>)
/// expect of a daemon; without a handler .NET ends the process (exit 129). Nothing else is reloaded on SIGHUP:
/// the configuration files are polled anyway.
/// A server started with SIGHUP ignored (under <c>nohup</c>, or by a parent that ignores it: the disposition is
/// inherited) would otherwise never see the signal, because .NET installs no handler over an inherited SIG_IGN. The
/// disposition is set back to the default first: a hangup then reopens the logs instead of being lost, and still never
/// ends the process.
/// </summary>
public sealed class HangupReopener(LogFiles files, ILogger<HangupReopener> logger) : IHostedService, IDisposable
{
    private const int Sighup = 1; // the same number on every Linux architecture
    private static readonly nint SigDfl = 0, SigIgn = 1;
    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
            return Task.CompletedTask;
        if (OperatingSystem.IsLinux() && IgnoredNow())
        {
            // Only an ignored SIGHUP is touched: no handler (the runtime's included) is in place then. Between this call
            // and the registration below (microseconds, once at start-up) a hangup would end the process; before it,
            // the signal was lost anyway.
            Signal(Sighup, SigDfl);
            logger.LogInformation("SIGHUP was ignored by this process's parent (nohup?); it reopens the log files here");
        }
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangup);
        return Task.CompletedTask;
    }

    /// <summary>Whether SIGHUP's disposition is SIG_IGN, read without changing it (sigaction with no new action).</summary>
    private static bool IgnoredNow()
    {
        // struct sigaction begins with the handler on every Linux libc (glibc, musl); 256 bytes hold all of it.
        var current = new byte[256];
        return SigAction(Sighup, 0, current) == 0 && MemoryMarshal.Read<nint>(current) == SigIgn;
    }

    // Blittable (int, pointers, a pinned byte array), as AppendOnlyFile's libc calls: no marshalling, native-build safe.
    [DllImport("libc", EntryPoint = "sigaction")]
    private static extern int SigAction(int signal, nint action, byte[] previous);

    [DllImport("libc", EntryPoint = "signal")]
    private static extern nint Signal(int signal, nint handler);

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
