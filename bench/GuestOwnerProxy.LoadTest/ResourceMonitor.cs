using System.Diagnostics;

namespace GuestOwnerProxy.LoadTest;

/// <summary>Process memory and CPU over a phase: peak working set sampled, GC figures at the end.</summary>
public sealed class ResourceMonitor : IDisposable
{
    private readonly Timer _timer;
    private readonly TimeSpan _cpuAtStart;
    private readonly long _allocatedAtStart;
    private readonly int[] _collectionsAtStart;
    private readonly TimeSpan _pauseAtStart;
    private long _peakWorkingSet;

    public ResourceMonitor()
    {
        _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: false);
        _collectionsAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        _pauseAtStart = GC.GetTotalPauseDuration();
        LoadAverageAtStart = LoadAverage();
        _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
    }

    public string LoadAverageAtStart { get; }

    private void Sample()
    {
        long ws = Environment.WorkingSet;
        long seen;
        while (ws > (seen = Interlocked.Read(ref _peakWorkingSet)) && Interlocked.CompareExchange(ref _peakWorkingSet, ws, seen) != seen) { }
    }

    public ResourceFigures Stop(TimeSpan elapsed)
    {
        _timer.Dispose();
        Sample();
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart;
        return new ResourceFigures(
            GcHeapBytes: gc.HeapSizeBytes,
            GcCommittedBytes: gc.TotalCommittedBytes,
            WorkingSetBytes: Environment.WorkingSet,
            PeakWorkingSetBytes: Interlocked.Read(ref _peakWorkingSet),
            AllocatedBytes: GC.GetTotalAllocatedBytes(precise: false) - _allocatedAtStart,
            Gen0: GC.CollectionCount(0) - _collectionsAtStart[0],
            Gen1: GC.CollectionCount(1) - _collectionsAtStart[1],
            Gen2: GC.CollectionCount(2) - _collectionsAtStart[2],
            GcPause: GC.GetTotalPauseDuration() - _pauseAtStart,
            CpuTime: cpu,
            CoresUsed: elapsed > TimeSpan.Zero ? cpu / elapsed : 0,
            LoadAverageAtStart: LoadAverageAtStart,
            LoadAverageAtEnd: LoadAverage(),
            ServerGc: System.Runtime.GCSettings.IsServerGC);
    }

    /// <summary>The 1/5/15-minute load averages (Linux); other engineers' builds share these cores.</summary>
    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    public void Dispose() => _timer.Dispose();
}

public sealed record ResourceFigures(long GcHeapBytes, long GcCommittedBytes, long WorkingSetBytes, long PeakWorkingSetBytes,
    long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan GcPause, TimeSpan CpuTime, double CoresUsed,
    string LoadAverageAtStart, string LoadAverageAtEnd, bool ServerGc);
