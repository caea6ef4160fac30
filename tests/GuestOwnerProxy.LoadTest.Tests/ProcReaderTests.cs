using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GuestOwnerProxy.LoadTest.Tests;

/// <summary>Reading another process's CPU and memory from /proc: the file formats, the tick rate, the listening-socket check.</summary>
public sealed class ProcReaderTests
{
    [Fact]
    public void Stat_fields_are_counted_after_the_last_parenthesis_of_the_command_name()
    {
        // A command name with a space and parentheses of its own (comm is whatever the process set, up to 15 bytes).
        const string stat = "4242 (gop (x) 1) S 1 4242 4242 0 -1 4194560 9055 0 0 0 731 95 0 0 20 0 22 0 1893 3019649024 31339 18446744073709551615";
        var times = ProcReader.ParseStat(stat, 4242);
        Assert.Equal(731, times.UserTicks);
        Assert.Equal(95, times.SystemTicks);
        Assert.Equal(826, times.Ticks);
    }

    [Theory]
    [InlineData("4242 (gop) S 1 2 3")]
    [InlineData("4242 gop S 1 2 3 4 5 6 7 8 9 10 11 12 13 14")]
    [InlineData("4242 (gop) S 1 4242 4242 0 -1 4194560 9055 0 0 0 x 95 0 0")]
    public void A_stat_line_without_the_times_is_refused(string stat) =>
        Assert.Contains("/proc/4242/stat has no utime/stime", Assert.Throws<ServerProcessException>(() => ProcReader.ParseStat(stat, 4242)).Message);

    [Fact]
    public void Status_gives_rss_high_water_mark_and_threads_in_kib()
    {
        const string status = "Name:\tdotnet\nVmPeak:\t 3000000 kB\nVmHWM:\t  140212 kB\nVmRSS:\t  131072 kB\nThreads:\t22\n";
        var memory = ProcReader.ParseStatus(status, 7);
        Assert.Equal(131072, memory.RssKiB);
        Assert.Equal(140212, memory.HwmKiB);
        Assert.Equal(22, memory.Threads);
        // A kernel thread has no VmRSS line.
        Assert.Contains("no VmRSS/VmHWM", Assert.Throws<ServerProcessException>(() => ProcReader.ParseStatus("Name:\tkthreadd\nThreads:\t1\n", 2)).Message);
    }

    [Fact]
    public void The_tick_rate_is_the_kernels_own()
    {
        using var getconf = Process.Start(new ProcessStartInfo("getconf", ["CLK_TCK"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        string text = getconf.StandardOutput.ReadToEnd().Trim();
        getconf.WaitForExit();
        Assert.Equal(long.Parse(text, System.Globalization.CultureInfo.InvariantCulture), ClockTicks.PerSecond);
    }

    [Fact]
    public void This_process_is_readable_and_listens_only_on_the_port_it_opened()
    {
        var self = new ProcReader(Environment.ProcessId);
        Assert.True(self.Memory().RssKiB > 0);
        Assert.True(self.Times().Ticks >= 0);

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            Assert.True(self.ListensOn(port));
        }
        finally
        {
            listener.Stop();
        }
        Assert.False(self.ListensOn(port));
    }

    [Fact]
    public void A_process_that_does_not_exist_is_named()
    {
        // Above the kernel's pid_max (at most 2^22), so no process has it.
        var missing = new ProcReader(int.MaxValue);
        Assert.Contains($"no process {int.MaxValue}", Assert.Throws<ServerProcessException>(() => missing.Times()).Message);
        Assert.Contains("--server-pid: no process", Assert.Throws<ServerProcessException>(() => ServerProcessMonitor.Start(int.MaxValue)).Message);
    }
}
