using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Server.Logging;

/// <summary>
/// Every log file the server appends to (the audit log, the <c>-l</c> file), so that one SIGHUP or one reload poll
/// reaches all of them. Takes no logger: the log file sink is created from here while logging is being built, so
/// the callers (<see cref="HangupReopener"/>, the reload poll) log what it reports.
/// </summary>
public sealed class LogFiles : IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<AppendOnlyFile> _files = [];

    /// <summary>Opens (creating) <paramref name="path"/> for appending and keeps it for reopening.</summary>
    public AppendOnlyFile Open(string path, FileSyncPolicy sync)
    {
        var file = new AppendOnlyFile(path, sync);
        lock (_lock)
            _files.Add(file);
        return file;
    }

    /// <summary>Reopens every file (after logrotate renamed them); the ones that could not be reopened, with why.</summary>
    public IReadOnlyList<string> ReopenAll() => ForEach(file =>
    {
        file.Reopen();
        return true;
    }).Failures;

    /// <summary>Reopens the files whose path now names another file or none (renamed or deleted).</summary>
    public (IReadOnlyList<string> Reopened, IReadOnlyList<string> Failures) ReopenReplaced() => ForEach(file => file.ReopenIfReplaced());

    private (IReadOnlyList<string> Reopened, IReadOnlyList<string> Failures) ForEach(Func<AppendOnlyFile, bool> reopen)
    {
        AppendOnlyFile[] files;
        lock (_lock)
            files = [.. _files];
        var reopened = new List<string>();
        var failures = new List<string>();
        foreach (var file in files)
        {
            try
            {
                if (reopen(file))
                    reopened.Add(file.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Add(ex.Message);
            }
            catch (ObjectDisposedException)
            {
                // Closed at shutdown while a signal was being handled.
            }
        }
        return (reopened, failures);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var file in _files)
                file.Dispose();
            _files.Clear();
        }
    }
}
