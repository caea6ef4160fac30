using System.Globalization;
using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace GuestOwnerProxy.Server.Logging;

/// <summary>
/// The <c>-l</c> log file as a Serilog sink: each event formatted whole and appended with one write
/// (<see cref="AppendOnlyFile"/>), so it follows rotation like the audit log. Serilog's own file sink writes at its
/// own offset and cannot be reopened. A failed write is Serilog's to report (SelfLog): a log line must not fail a request.
/// </summary>
public sealed class AppendOnlyFileSink(AppendOnlyFile file, ITextFormatter formatter) : ILogEventSink
{
    public void Emit(LogEvent logEvent)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        formatter.Format(logEvent, writer);
        var text = writer.ToString();
        if (!text.EndsWith('\n'))
            text += "\n";
        file.Append(Encoding.UTF8.GetBytes(text));
    }
}
