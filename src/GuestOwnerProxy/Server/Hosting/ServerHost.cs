using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Observability;
using GuestOwnerProxy.Server.Logging;
using GuestOwnerProxy.Server.Services;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Sessions.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using Serilog;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// The <c>serve</c> host: ASP.NET Core + gRPC (Setup, keybroker.KeyBrokerService, grpc.health.v1, reflection) over the broker.
/// <see cref="Build"/> is the factory tests use (they add configuration and replace services such as
/// <see cref="TimeProvider"/> in <c>configure</c>); <see cref="Run"/> is the command.
/// </summary>
public static class ServerHost
{
    public const int ExitOk = 0;
    public const int ExitBadConfiguration = 2;
    public const int ExitCannotListen = 1;

    /// <summary>
    /// Runs the server until it is stopped. Exit codes: 0 normal stop, 2 bad configuration or settings
    /// (one line on stderr naming the file or setting), 1 cannot listen. Never an unhandled exception.
    /// </summary>
    public static int Run(string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (ArgumentException ex)
        {
            error.WriteLine($"gop: {OneLine(ex.Message)}");
            error.WriteLine(PythonFlags.Usage);
            return ExitBadConfiguration;
        }
        catch (Exception ex) when (StartupProblem(ex) is { } problem)
        {
            error.WriteLine($"gop: {problem}");
            return ExitBadConfiguration;
        }

        using (app as IDisposable)
        {
            try
            {
                app.Run();
                return ExitOk;
            }
            catch (IOException ex) when (CannotListen(ex))
            {
                error.WriteLine($"gop: cannot listen: {OneLine(ex.Message)}");
                return ExitCannotListen;
            }
            catch (Exception ex) when (StartupProblem(ex) is { } problem)
            {
                // Endpoint and TLS settings are applied when Kestrel starts.
                error.WriteLine($"gop: {problem}");
                return ExitBadConfiguration;
            }
        }
    }

    private static bool CannotListen(Exception ex) => ex is IOException and not FileNotFoundException and not DirectoryNotFoundException;

    /// <summary>Whether <see cref="Run"/> reports <paramref name="ex"/> as one line on stderr when the host fails to start with it
    /// (the host's own log of it is then left out: see <see cref="LoggingSetup"/>).</summary>
    internal static bool ReportsItself(Exception ex) => CannotListen(ex) || StartupProblem(ex) is not null;

    /// <summary>The one-line description of a start-up failure caused by files or settings; null for anything else.</summary>
    internal static string? StartupProblem(Exception ex) => ex switch
    {
        SettingsException s => s.Message,
        ConfigurationException c => c.Errors.Count == 1 ? OneLine(c.Message) : c.Message,
        InvalidOperationException => OneLine(ex.Message),
        UnauthorizedAccessException or IOException => $"cannot open a configured file: {OneLine(ex.Message)}",
        System.Security.Cryptography.CryptographicException => $"cannot load a configured certificate or key: {OneLine(ex.Message)}",
        _ => null,
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    /// <summary>
    /// The server's configuration sources for a command line: appsettings.json and appsettings.{environment}.json
    /// beside the binary, environment variables, then the command line (Python flags translated to settings).
    /// <c>gop check-config</c> reads its settings through this too, so it sees what the server would.
    /// </summary>
    /// <exception cref="ArgumentException">malformed Python-style flags.</exception>
    public static WebApplicationBuilder CreateBuilder(string[] args) =>
        WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = PythonFlags.Translate(args),
            // appsettings*.json live beside the binary; keysets/keys paths stay relative to the working directory (as in the Python server).
            ContentRootPath = AppContext.BaseDirectory,
        });

    /// <summary>
    /// Builds the server with the settings and the operator configuration loaded and validated. Throws
    /// <see cref="SettingsException"/> when the settings are refused (<see cref="GuestOwnerProxySettings"/>),
    /// <see cref="ConfigurationException"/> when keysets/keys/trust/images do not validate and
    /// <see cref="ArgumentException"/> for malformed Python-style flags.
    /// </summary>
    /// <param name="args">Command line (Python flags and ASP.NET configuration switches).</param>
    /// <param name="configure">Last chance to change configuration sources and services (tests).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = CreateBuilder(args);

        // The settings are read once the configuration is complete (configure may add sources); logging, Kestrel
        // and ServerSettings all start from this one validated value.
        GuestOwnerProxyOptions startup = null!;
        builder.Services.AddSerilog(
            (services, logger) => LoggingSetup.Configure(logger, startup, services),
            preserveStaticLogger: true);
        builder.WebHost.ConfigureKestrel(kestrel => KestrelEndpoints.Configure(kestrel, startup));

        builder.Services.AddGrpc(grpc =>
        {
            grpc.EnableDetailedErrors = false;
            // Outermost first: the timing sees the status DenialInterceptor maps.
            grpc.Interceptors.Add<RequestMetricsInterceptor>();
            grpc.Interceptors.Add<DenialInterceptor>();
            // Largest legitimate request: a full SEV chain (PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK) of about 11.5 KiB.
            grpc.MaxReceiveMessageSize = MalformedRequestGuard.MaxMessageSize;
        });
        ReflectionServices.Add(builder.Services);
        HealthServices.Add(builder.Services);

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<IRandomSource>(SystemRandomSource.Instance);
        builder.Services.TryAddSingleton<IPlatformRegistry>(PlatformRegistry.Default);
        builder.Services.AddSingleton<BrokerConfigurationStore>();
        builder.Services.AddSingleton<IBrokerConfigurationSource>(sp => sp.GetRequiredService<BrokerConfigurationStore>());
        builder.Services.AddSingleton<InMemorySessionStore>();
        builder.Services.AddSingleton<RedisSessionStore>();
        // Chosen once, at start-up: a store cannot change under live sessions.
        builder.Services.AddSingleton<ISessionStore>(sp => sp.GetRequiredService<ServerSettings>().Current.Sessions.Store == SessionStoreKind.Redis
            ? sp.GetRequiredService<RedisSessionStore>()
            : sp.GetRequiredService<InMemorySessionStore>());
        // Every appended log file (audit, -l) is opened through LogFiles, so SIGHUP and the reload poll reopen them all.
        builder.Services.AddSingleton<LogFiles>();
        builder.Services.AddHostedService<HangupReopener>();
        builder.Services.AddSingleton<AuditWriteFailures>();
        // The broker and the metrics see whichever store is registered through the metered wrapper (store errors counted).
        builder.Services.AddSingleton(sp => new MeteredSessionStore(sp.GetRequiredService<ISessionStore>()));
        builder.Services.AddSingleton<GopMetrics>();
        builder.Services.AddSingleton<IAuditLog>(sp =>
        {
            var settings = sp.GetRequiredService<ServerSettings>().Current;
            return string.IsNullOrWhiteSpace(settings.AuditLog)
                ? new NullAuditLog()
                : new JsonLinesAuditLog(sp.GetRequiredService<LogFiles>().Open(settings.AuditLog, settings.AuditLogSync));
        });
        builder.Services.AddSingleton<DecisionRecorder>();
        builder.Services.AddSingleton<ChainVerificationCache>();
        builder.Services.AddSingleton(sp => new BrokerDependencies(
            sp.GetRequiredService<IBrokerConfigurationSource>(), sp.GetRequiredService<MeteredSessionStore>(),
            sp.GetRequiredService<IPlatformRegistry>(), sp.GetRequiredService<IRandomSource>(),
            sp.GetRequiredService<DecisionRecorder>(), sp.GetRequiredService<ChainVerificationCache>()));
        builder.Services.AddSingleton<BundleIssuer>();
        builder.Services.AddSingleton<SecretReleaser>();
        builder.Services.AddHostedService<ConfigurationReloadService>();
        // Rate limits are read at start-up, like the session bounds.
        builder.Services.AddRateLimiter(limiter => BrokerRateLimiter.Configure(limiter, startup.RateLimit));

        configure?.Invoke(builder);

        startup = GuestOwnerProxySettings.Read(builder.Configuration).OrThrow();
        builder.Services.AddSingleton(sp => new ServerSettings(
            sp.GetRequiredService<IConfiguration>(), startup, sp.GetRequiredService<ILogger<ServerSettings>>()));
        MetricsEndpoint.AddServices(builder.Services, startup.Metrics);

        var app = builder.Build();
        // The metrics listener's connections branch off first: they never reach the broker's middleware or services.
        MetricsEndpoint.Map(app, startup.Metrics);
        // Throttle first (a flood costs nothing further), then refuse bodies that are not the method's message.
        app.UseRateLimiter();
        app.UseMiddleware<MalformedRequestGuard>();
        app.MapGrpcService<SetupService>();
        app.MapGrpcService<KeyBroker.KeyBrokerService>();
        app.MapGrpcHealthChecksService();
        ReflectionServices.Map(app);

        // Validate everything now: a broken file stops the start instead of failing at request time.
        app.Services.GetRequiredService<BrokerConfigurationStore>().Initialize();
        // Everything that reads settings once is created now, so bad settings stop the start (exit 2), not a request.
        app.Services.GetRequiredService<ISessionStore>();
        app.Services.GetRequiredService<BundleIssuer>();
        app.Services.GetRequiredService<SecretReleaser>();
        app.Services.GetRequiredService<GopMetrics>();
        var settings = app.Services.GetRequiredService<ServerSettings>().Current;
        var audit = app.Services.GetRequiredService<IAuditLog>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServerHost).FullName!);
        if (audit is NullAuditLog)
            log.LogWarning("Audit log disabled (GuestOwnerProxy:AuditLog is empty)");
        else if (audit is JsonLinesAuditLog file)
            log.LogInformation("Audit log: {AuditLog} (sync {AuditLogSync})", file.Path, settings.AuditLogSync);
        if (settings.Metrics.Url is { } metricsUrl)
            log.LogInformation("Metrics: {MetricsUrl}{MetricsPath} (Prometheus, HTTP/1.1)", metricsUrl, MetricsEndpoint.Path);
        else
            log.LogInformation("Metrics: disabled (GuestOwnerProxy:Metrics:Port is 0)");
        // Before Kestrel binds: "Now listening on" follows once it has, or one stderr line says why it could not (port in use).
        log.LogInformation("Guest owner proxy ({Environment}) starting on {Urls}; sessions: TTL {Ttl} (idle {IdleTtl}), max {MaxSessions} / {MaxMemory} MiB / {MaxPerClient} per client, {MaxAttempts} measurement attempts; rate limit {Permits}/s per client (burst {Burst})",
            builder.Environment.EnvironmentName, string.Join(", ", KestrelEndpoints.UrlsOf(settings)),
            settings.Sessions.Ttl, settings.Sessions.IdleTtl, settings.Sessions.MaxSessions, settings.Sessions.MaxMemoryMiB,
            settings.Sessions.MaxPerClient, settings.Sessions.MaxMeasurementAttempts, settings.RateLimit.PermitsPerSecond, settings.RateLimit.Burst);
        return app;
    }
}
