using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace GuestOwnerProxy.Server.Tests.Infrastructure;

/// <summary>Every log event the server writes, rendered with its properties and exception, for content checks.</summary>
public sealed class CapturingSink : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public IReadOnlyList<LogEvent> Events => _events.ToList();

    public IEnumerable<string> RenderedLines() => _events.Select(e =>
        $"{e.Level} {e.RenderMessage()} {string.Join(" ", e.Properties.Select(p => $"{p.Key}={p.Value}"))} {e.Exception}");

    public bool Contains(string text, LogEventLevel? level = null) =>
        _events.Any(e => (level is null || e.Level == level) && e.RenderMessage().Contains(text, StringComparison.Ordinal));
}
