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
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    private GopServer(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <param name="args">The server's arguments; <c>-p 0</c> is added in front.</param>
    public static GopServer Start(string workingDirectory, params string[] args)
    {
        var server = new GopServer(Gop.Start(workingDirectory, ["-p", "0", .. args]));
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

    public string Address => $"127.0.0.1:{Port}";

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    [GeneratedRegex(@"Now listening on: http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    private void Collect(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
        if (ListeningLine().Match(line) is { Success: true } match)
            _port.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
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
