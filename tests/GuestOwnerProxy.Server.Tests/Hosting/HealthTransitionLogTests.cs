using GuestOwnerProxy.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Tests.Hosting;

/// <summary>The health transitions are logged once each, with what the check said; an unchanged status adds nothing.</summary>
public sealed class HealthTransitionLogTests
{
    private sealed class ListLogger : ILogger<HealthTransitionLog>
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception), exception));
    }

    private static HealthReport Report(params (string Name, HealthStatus Status, string Description, Exception? Exception)[] entries) =>
        new(entries.ToDictionary(e => e.Name, e => new HealthReportEntry(e.Status, e.Description, TimeSpan.Zero, e.Exception, null)), TimeSpan.Zero);

    [Fact]
    public async Task Each_change_is_one_line_and_a_steady_state_none()
    {
        var logger = new ListLogger();
        var log = new HealthTransitionLog(logger);
        var timeout = new TimeoutException("Redis: RedisTimeoutException: Timeout performing PING");

        await log.PublishAsync(Report(("sessions", HealthStatus.Healthy, "session store serving", null)), default);
        Assert.Empty(logger.Lines); // a healthy start says nothing

        for (int probe = 0; probe < 3; probe++)
            await log.PublishAsync(Report(("sessions", HealthStatus.Unhealthy, "session store unavailable: Redis: timeout", timeout)), default);
        var down = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Error, down.Level);
        Assert.Equal("Health: sessions is Unhealthy: session store unavailable: Redis: timeout", down.Message);
        Assert.Same(timeout, down.Exception);

        await log.PublishAsync(Report(("sessions", HealthStatus.Healthy, "session store serving", null)), default);
        await log.PublishAsync(Report(("sessions", HealthStatus.Healthy, "session store serving", null)), default);
        Assert.Equal(2, logger.Lines.Count);
        Assert.Equal((LogLevel.Information, "Health: sessions is healthy again (session store serving)"), (logger.Lines[1].Level, logger.Lines[1].Message));
    }

    [Fact]
    public async Task A_check_unhealthy_from_the_start_and_one_degraded_are_logged_at_their_levels()
    {
        var logger = new ListLogger();
        var log = new HealthTransitionLog(logger);
        await log.PublishAsync(Report(("configuration-edits", HealthStatus.Unhealthy, "keysets.json: rejected", null),
            ("other", HealthStatus.Degraded, "slow", null)), default);
        Assert.Equal([LogLevel.Error, LogLevel.Warning], logger.Lines.Select(l => l.Level).ToArray());
    }
}
