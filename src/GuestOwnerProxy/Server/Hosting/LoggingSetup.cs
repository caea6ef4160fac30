using GuestOwnerProxy.Server.Configuration;
using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// Serilog: structured console output, plus compact JSON lines to the <c>-l</c> file when given.
/// Operators can refine it with a standard <c>Serilog</c> configuration section; sinks registered in
/// DI (tests) are added too.
/// </summary>
public static class LoggingSetup
{
    private const string ConsoleTemplate =
        "[{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <param name="options">The validated start-up settings (Debug, LogFile).</param>
    public static void Configure(LoggerConfiguration logger, IConfiguration configuration, GuestOwnerProxyOptions options, IServiceProvider services)
    {
        logger
            .MinimumLevel.Is(options.Debug ? LogEventLevel.Debug : LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .MinimumLevel.Override("Grpc", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .ReadFrom.Configuration(configuration)
            .ReadFrom.Services(services)
            .WriteTo.Console(outputTemplate: ConsoleTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(options.LogFile))
            logger.WriteTo.File(new CompactJsonFormatter(), options.LogFile, shared: true);
    }
}
