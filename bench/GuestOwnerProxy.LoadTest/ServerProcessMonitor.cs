using System.Globalization;
using System.Runtime.InteropServices;

namespace GuestOwnerProxy.LoadTest;

/// <summary>The server process could not be observed (gone, not ours to read, not the one on the target port).</summary>
public sealed class ServerProcessException(string message) : Exception(message);

/// <summary>
/// Another process's CPU time and memory from /proc (Linux): utime+stime of /proc/PID/stat in clock ticks,
/// converted with the kernel's own tick rate (sysconf(_SC_CLK_TCK), not an assumed 100), and VmRSS/VmHWM from
/// /proc/PID/status, sampled every 100 ms over the measured window. This is how the load test counts the
/// server's cost alone when the server runs as a separate process (any <c>Setup</c> server: ours or another proxy).
/// </summary>
public sealed class ServerProcessMonitor : IDisposable
{
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(100);

    private readonly ProcReader _proc;
    private readonly Timer _timer;
    private readonly ProcessTimes _atStart;
    private readonly long _rssAtStart;
    private readonly Lock _lock = new();
    private long _peakRss;
    private int _samples;
    private string? _lostReason;

    private ServerProcessMonitor(ProcReader proc)
    {
        _proc = proc;
        _atStart = proc.Times();
        _rssAtStart = proc.Memory().RssKiB;
        _peakRss = _rssAtStart;
        _timer = new Timer(_ => Sample(), null, SampleInterval, SampleInterval);
    }

    /// <summary>Starts sampling <paramref name="pid"/>; throws <see cref="ServerProcessException"/> when it cannot be read.</summary>
    public static ServerProcessMonitor Start(int pid)
    {
        try
        {
            return new ServerProcessMonitor(new ProcReader(pid));
        }
        catch (ServerProcessException ex)
        {
            throw new ServerProcessException($"--server-pid: {ex.Message}");
        }
    }

    private void Sample()
    {
        try
        {
            long rss = _proc.Memory().RssKiB;
            lock (_lock)
            {
                _peakRss = Math.Max(_peakRss, rss);
                _samples++;
            }
        }
        catch (ServerProcessException ex)
        {
            lock (_lock)
                _lostReason ??= ex.Message;
        }
    }

    /// <summary>The figures over the window; <paramref name="operations"/> and <paramref name="requests"/> divide the CPU time.</summary>
    public ServerFigures Stop(int operations, int requests)
    {
        _timer.Dispose();
        Sample();
        lock (_lock)
        {
            if (_lostReason is not null)
                throw new ServerProcessException($"--server-pid: lost the server process during the run: {_lostReason}");
        }
        var end = _proc.Times();
        var memory = _proc.Memory();
        long ticks = end.Ticks - _atStart.Ticks;
        double tickMs = 1000.0 / ClockTicks.PerSecond;
        double cpuMs = ticks * tickMs;
        lock (_lock)
        {
            return new ServerFigures(
                Pid: _proc.Pid,
                Name: _proc.Name(),
                ClockTicksPerSecond: ClockTicks.PerSecond,
                CpuMs: cpuMs,
                UserCpuMs: (end.UserTicks - _atStart.UserTicks) * tickMs,
                SystemCpuMs: (end.SystemTicks - _atStart.SystemTicks) * tickMs,
                CpuResolutionMs: tickMs,
                CpuMsPerOperation: operations > 0 ? cpuMs / operations : null,
                CpuMsPerRequest: requests > 0 ? cpuMs / requests : null,
                Threads: memory.Threads,
                RssStartKiB: _rssAtStart,
                RssPeakKiB: Math.Max(_peakRss, memory.RssKiB),
                RssEndKiB: memory.RssKiB,
                HwmKiB: memory.HwmKiB,
                Samples: _samples);
        }
    }

    public void Dispose() => _timer.Dispose();
}

/// <summary>The server's cost over a measured window. HwmKiB is the kernel's high-water mark since the process started.</summary>
public sealed record ServerFigures(int Pid, string Name, long ClockTicksPerSecond, double CpuMs, double UserCpuMs, double SystemCpuMs,
    double CpuResolutionMs, double? CpuMsPerOperation, double? CpuMsPerRequest, int Threads,
    long RssStartKiB, long RssPeakKiB, long RssEndKiB, long HwmKiB, int Samples);

public readonly record struct ProcessTimes(long UserTicks, long SystemTicks)
{
    public long Ticks => UserTicks + SystemTicks;
}

public readonly record struct ProcessMemory(long RssKiB, long HwmKiB, int Threads);

/// <summary>The kernel's clock tick rate, the unit of /proc/PID/stat's times.</summary>
public static class ClockTicks
{
    // sysconf name of the tick rate in glibc and musl (unistd.h: _SC_CLK_TCK = 2 on Linux).
    private const int ScClkTck = 2;

    private static readonly Lazy<long> Value = new(() =>
    {
        long ticks = SysConf(ScClkTck);
        if (ticks <= 0)
            throw new ServerProcessException($"sysconf(_SC_CLK_TCK) failed (errno {Marshal.GetLastPInvokeError()})");
        return ticks;
    });

    public static long PerSecond => Value.Value;

    // long sysconf(int name): C long is 64-bit on 64-bit Linux, as nint is.
    [DllImport("libc", EntryPoint = "sysconf", SetLastError = true)]
    private static extern nint SysConf(int name);
}

/// <summary>Reads one process's /proc entries; every failure is a <see cref="ServerProcessException"/> naming the file.</summary>
public sealed class ProcReader(int pid, string procRoot = "/proc")
{
    public int Pid { get; } = pid;

    private string PathOf(string name) => Path.Combine(procRoot, Pid.ToString(CultureInfo.InvariantCulture), name);

    private string Read(string name)
    {
        string path = PathOf(name);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ServerProcessException(ex is FileNotFoundException or DirectoryNotFoundException
                ? $"no process {Pid} ({path} does not exist)"
                : $"cannot read {path}: {ex.Message}");
        }
    }

    /// <summary>utime and stime (fields 14 and 15 of /proc/PID/stat, counted from 1). The command name (field 2)
    /// is in parentheses and may itself hold spaces and parentheses, so the fields are counted after the last ')'.</summary>
    public ProcessTimes Times() => ParseStat(Read("stat"), Pid);

    public static ProcessTimes ParseStat(string stat, int pid)
    {
        int close = stat.LastIndexOf(')');
        // After ") ": field 3 (state) is index 0, so field N is index N - 3.
        string[] fields = close < 0 ? [] : stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 13
            || !long.TryParse(fields[14 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out long user)
            || !long.TryParse(fields[15 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out long system))
            throw new ServerProcessException($"/proc/{pid}/stat has no utime/stime fields");
        return new ProcessTimes(user, system);
    }

    public ProcessMemory Memory() => ParseStatus(Read("status"), Pid);

    public static ProcessMemory ParseStatus(string status, int pid)
    {
        long? rss = null, hwm = null;
        int threads = 0;
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = KiB(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                hwm = KiB(line);
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                int.TryParse(line.AsSpan("Threads:".Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out threads);
        }
        if (rss is null || hwm is null)
            throw new ServerProcessException($"/proc/{pid}/status has no VmRSS/VmHWM (a kernel thread, or a zombie)");
        return new ProcessMemory(rss.Value, hwm.Value, threads);

        static long? KiB(string line)
        {
            // "VmRSS:\t  123456 kB"
            var parts = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            return parts.Length == 3 && parts[2] == "kB" && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : null;
        }
    }

    /// <summary>The command name (/proc/PID/comm: the executable's name, never its arguments).</summary>
    public string Name()
    {
        try
        {
            return Read("comm").Trim();
        }
        catch (ServerProcessException)
        {
            return "?";
        }
    }

    /// <summary>
    /// Whether this process holds a socket listening on TCP <paramref name="port"/>: the inodes of the listening
    /// sockets in /proc/net/tcp and tcp6 against the process's socket descriptors. Null when its descriptors cannot
    /// be read (another user's process): the caller then says it could not check.
    /// </summary>
    public bool? ListensOn(int port)
    {
        var listening = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "tcp", "tcp6" })
        {
            string path = Path.Combine(procRoot, "net", table);
            if (!File.Exists(path))
                continue;
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                const string Listen = "0A";
                if (f.Length < 10 || f[3] != Listen)
                    continue;
                int colon = f[1].LastIndexOf(':');
                if (colon > 0 && int.TryParse(f[1].AsSpan(colon + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int p) && p == port)
                    listening.Add(f[9]);
            }
        }
        string fdDir = PathOf("fd");
        string[] descriptors;
        try
        {
            descriptors = System.IO.Directory.GetFiles(fdDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        foreach (var fd in descriptors)
        {
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            // "socket:[12345]"
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && listening.Contains(target[8..^1]))
                return true;
        }
        return false;
    }
}
