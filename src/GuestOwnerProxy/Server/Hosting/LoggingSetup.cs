using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Logging;
using Microsoft.Extensions.DependencyInjection;
using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// Serilog: the console in <c>LogFormat</c> (text by default, compact JSON with <c>--log-format json</c>), plus the
/// <c>-l</c> file in <c>LogFileFormat</c> (compact JSON by default), appended through <see cref="LogFiles"/> so that
/// SIGHUP and the reload poll reopen it. Configured in code only: a <c>Serilog</c> configuration section is refused
/// (<see cref="SettingNames"/>), because Serilog.Settings.Configuration finds sinks by reflection, which the native
/// build does not keep. Sinks registered in DI (tests) are added too.
/// </summary>
public static class LoggingSetup
{
    private const string TextTemplate =
        "[{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <param name="options">The validated start-up settings (Debug, LogFormat, LogFile, LogFileFormat, LogFileSync).</param>
    public static void Configure(LoggerConfiguration logger, GuestOwnerProxyOptions options, IServiceProvider services)
    {
        logger
            .MinimumLevel.Is(options.Debug ? LogEventLevel.Debug : LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .MinimumLevel.Override("Grpc", LogEventLevel.Warning)
            // One line per probe otherwise (a Warning/Error per Check): HealthTransitionLog logs each change once instead.
            .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", LogEventLevel.Fatal)
            .Filter.ByExcluding(ReportedOnStandardError)
            .Enrich.FromLogContext()
            .ReadFrom.Services(services)
            .WriteTo.Console(Formatter(options.LogFormat));
        if (!string.IsNullOrEmpty(options.LogFile))
        {
            var file = services.GetRequiredService<LogFiles>().Open(options.LogFile, options.LogFileSync);
            logger.WriteTo.Sink(new AppendOnlyFileSink(file, Formatter(options.LogFileFormat)));
        }
    }

    /// <summary>The one formatter of each <see cref="LogFormat"/>, for the console and the file alike.</summary>
    public static ITextFormatter Formatter(LogFormat format) => format switch
    {
        LogFormat.Json => new CompactJsonFormatter(),
        _ => new MessageTemplateTextFormatter(TextTemplate, System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The host's "Hosting failed to start" event for a failure <see cref="ServerHost.Run"/> reports itself as one line on
    /// stderr (a port in use, a bad endpoint setting): the stack trace would only repeat it.
    /// </summary>
    private static bool ReportedOnStandardError(LogEvent logEvent) =>
        logEvent.Exception is { } exception &&
        logEvent.Properties.TryGetValue("SourceContext", out var source) &&
        source is ScalarValue { Value: "Microsoft.Extensions.Hosting.Internal.Host" } &&
        ServerHost.ReportsItself(exception);
}
