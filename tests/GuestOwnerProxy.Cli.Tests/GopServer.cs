using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// A real <c>gop</c> server process on a port the kernel picks (<c>-p 0</c>): no free-port guess that another
/// process can take first. The port is read from the host's own "Now listening on" line.
/// </summary>
public sealed partial class GopServer : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly StringBuilder _stdout = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    private GopServer(Process process)
    {
        _process = process;
        // Dedicated reader threads, not BeginOutputReadLine: its callbacks need thread-pool threads, and with the whole
        // suite running, tests blocked in waits starve the pool, so a line the server wrote could stay unread past a
        // WaitForLog deadline (seen in CI: "did not log 'SIGHUP: log files reopened' within 20 s" while it had).
        Reader(_process.StandardOutput, line =>
        {
            lock (_log)
                _stdout.AppendLine(line);
            Collect(line);
        });
        Reader(_process.StandardError, Collect);
    }

    private static void Reader(StreamReader stream, Action<string> collect) =>
        new Thread(() =>
        {
            try
            {
                while (stream.ReadLine() is { } line)
                    collect(line);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The process is gone or disposed: nothing more to read.
            }
        })
        { IsBackground = true, Name = "gop server output" }.Start();

    /// <param name="args">The server's arguments; <c>-p 0</c> is added in front.</param>
    public static GopServer Start(string workingDirectory, params string[] args) =>
        Listening(new GopServer(Gop.Start(workingDirectory, ["-p", "0", .. args])));

    /// <summary>As <see cref="Start"/>, through <paramref name="launcher"/> (<c>nohup</c>: the server inherits SIGHUP ignored).</summary>
    public static GopServer StartUnder(string launcher, string workingDirectory, params string[] args) =>
        Listening(new GopServer(Gop.StartUnder(launcher, workingDirectory, ["-p", "0", .. args])));

    private static GopServer Listening(GopServer server)
    {
        try
        {
            server.WaitUntilListening(TimeSpan.FromSeconds(60));
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public int Port { get; private set; }

    /// <summary>The server's process id (<c>dotnet gop.dll</c> runs the server in the dotnet process itself).</summary>
    public int Pid => _process.Id;

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Standard output and standard error, interleaved as they arrived.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Standard output alone.</summary>
    public string Stdout
    {
        get { lock (_log) return _stdout.ToString(); }
    }

    // The text line, or the JSON one under --log-format json ("@mt":"Now listening on: {address}","address":"http://...").
    [GeneratedRegex(@"Now listening on: http://127\.0\.0\.1:(\d+)|""address"":""http://127\.0\.0\.1:(\d+)""")]
    private static partial Regex ListeningLine();

    private void Collect(string line)
    {
        lock (_log)
            _log.AppendLine(line);
        if (ListeningLine().Match(line) is { Success: true } match)
            _port.TrySetResult(int.Parse(match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value,
                System.Globalization.CultureInfo.InvariantCulture));
    }

    private void WaitUntilListening(TimeSpan limit)
    {
        var exited = _process.WaitForExitAsync();
        var first = Task.WhenAny(_port.Task, exited, Task.Delay(limit)).GetAwaiter().GetResult();
        if (first == _port.Task)
        {
            Port = _port.Task.Result;
            return;
        }
        if (first == exited)
            throw new InvalidOperationException($"gop serve exited with {_process.ExitCode}:\n{Log}");
        throw new TimeoutException($"gop serve did not report a listening port within {limit.TotalSeconds} s:\n{Log}");
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Sends a signal (<c>HUP</c>, <c>TERM</c>) to the server: <c>dotnet gop.dll</c> runs in the dotnet process itself.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            { UseShellExecute = false }) ?? throw new InvalidOperationException("could not run kill");
        kill.WaitForExit(10_000);
        if (kill.ExitCode != 0)
            throw new InvalidOperationException($"kill -{name} exited with {kill.ExitCode}");
    }

    /// <summary>Waits until the server's output has a line containing <paramref name="text"/> <paramref name="count"/> times.</summary>
    public void WaitForLog(string text, int count = 1, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (Occurrences(text) < count)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the server did not log '{text}' {count} time(s) within {seconds} s ({ProcessState()}):\n{Log}");
            if (_process.HasExited)
                throw new InvalidOperationException($"gop serve exited with {_process.ExitCode} while waiting for '{text}':\n{Log}");
            Thread.Sleep(50);
        }
    }

    /// <summary>The server's scheduling and signal state from /proc (stopped? a signal pending, blocked, caught?), for a
    /// timeout's message.</summary>
    private string ProcessState()
    {
        try
        {
            var wanted = new[] { "State:", "Threads:", "SigPnd:", "ShdPnd:", "SigBlk:", "SigIgn:", "SigCgt:" };
            return string.Join(", ", File.ReadLines($"/proc/{_process.Id}/status")
                .Where(l => wanted.Any(w => l.StartsWith(w, StringComparison.Ordinal)))
                .Select(l => string.Join(' ', l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "process state unavailable: " + e.Message;
        }
    }

    private int Occurrences(string text)
    {
        lock (_log)
            return _log.ToString().Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>Waits for the process to end (after a signal); its exit code.</summary>
    public int WaitForExit(double seconds = 20)
    {
        if (!_process.WaitForExit(TimeSpan.FromSeconds(seconds)))
            throw new TimeoutException($"gop serve did not exit within {seconds} s:\n{Log}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGKILL (Process.Kill): the server gets no chance to clean up, as in a crash. Idempotent, so a test may
    /// kill a replica and leave the rest to its clean-up.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        finally
        {
            _process.Dispose();
        }
    }
}
