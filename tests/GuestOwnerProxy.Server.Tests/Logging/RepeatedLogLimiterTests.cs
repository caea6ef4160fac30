using GuestOwnerProxy.Server.Logging;
using Microsoft.Extensions.Time.Testing;

namespace GuestOwnerProxy.Server.Tests.Logging;

public sealed class RepeatedLogLimiterTests
{
    [Fact]
    public void Repeats_are_counted_and_summarised_once_per_interval_per_kind()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero));
        var summaries = new List<(string Kind, int Count)>();
        using var limiter = new RepeatedLogLimiter(time, TimeSpan.FromSeconds(10), (kind, count, _) => { lock (summaries) summaries.Add((kind, count)); });

        Assert.True(limiter.ShouldLog("secret KEYSET_INVALID", out int suppressed));
        Assert.Equal(0, suppressed);
        for (int i = 0; i < 5; i++)
            Assert.False(limiter.ShouldLog("secret KEYSET_INVALID", out _));
        Assert.True(limiter.ShouldLog("secret MEASUREMENT_INVALID", out _));
        Assert.False(limiter.ShouldLog("secret MEASUREMENT_INVALID", out _));
        Assert.Empty(summaries);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([("secret KEYSET_INVALID", 5), ("secret MEASUREMENT_INVALID", 1)], summaries.OrderBy(s => s.Kind));

        // A new interval: the first line is written again, with nothing left to report on it (the summary did).
        Assert.True(limiter.ShouldLog("secret KEYSET_INVALID", out suppressed));
        Assert.Equal(0, suppressed);
        // No repeats, no summary.
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(2, summaries.Count);
    }

    [Fact]
    public void Without_a_summary_callback_the_next_line_carries_the_count()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero));
        var limiter = new RepeatedLogLimiter(time, TimeSpan.FromSeconds(10));
        Assert.True(limiter.ShouldLog("k", out _));
        Assert.False(limiter.ShouldLog("k", out _));
        Assert.False(limiter.ShouldLog("k", out _));
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.True(limiter.ShouldLog("k", out int suppressed));
        Assert.Equal(2, suppressed);
    }
}
