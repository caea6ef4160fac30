using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Services;
using GuestOwnerProxy.Server.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
            {
                error.WriteLine($"gop: cannot listen: {OneLine(ex.Message)}");
                return 1;
            }
            catch (Exception ex) when (StartupProblem(ex) is { } problem)
            {
                // Endpoint and TLS settings are applied when Kestrel starts.
                error.WriteLine($"gop: {problem}");
                return ExitBadConfiguration;
            }
        }
    }

    /// <summary>The one-line description of a start-up failure caused by files or settings; null for anything else.</summary>
    internal static string? StartupProblem(Exception ex) => ex switch
    {
        ConfigurationException c => c.Errors.Count == 1 ? OneLine(c.Message) : c.Message,
        OptionsValidationException or InvalidOperationException => OneLine(ServerSettings.Describe(ex)),
        UnauthorizedAccessException or IOException => $"cannot open a configured file: {OneLine(ex.Message)}",
        System.Security.Cryptography.CryptographicException => $"cannot load a configured certificate or key: {OneLine(ex.Message)}",
        _ => null,
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    /// <summary>
    /// Builds the server with the operator configuration loaded and validated. Throws
    /// <see cref="ConfigurationException"/> when keysets/keys/trust/images do not validate and
    /// <see cref="ArgumentException"/> for malformed Python-style flags.
    /// </summary>
    /// <param name="args">Command line (Python flags and ASP.NET configuration switches).</param>
    /// <param name="configure">Last chance to change configuration sources and services (tests).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = PythonFlags.Translate(args),
            // appsettings*.json live beside the binary; keysets/keys paths stay relative to the working directory (as in the Python server).
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.Services.AddOptions<GuestOwnerProxyOptions>()
            .Bind(builder.Configuration.GetSection(GuestOwnerProxyOptions.SectionName))
            .Validate(o => o.Sessions.Ttl > TimeSpan.Zero, "GuestOwnerProxy:Sessions:Ttl must be positive")
            .Validate(o => o.Sessions.MaxSessions >= 1, "GuestOwnerProxy:Sessions:MaxSessions must be at least 1")
            .Validate(o => o.Sessions.MaxMeasurementAttempts >= 1, "GuestOwnerProxy:Sessions:MaxMeasurementAttempts must be at least 1")
            .Validate(o => o.Port is >= 0 and <= 65535, "GuestOwnerProxy:Port must be 0..65535")
            .Validate(o => Enum.IsDefined(o.BundleEncoding.Csv) && Enum.IsDefined(o.BundleEncoding.Sev),
                "GuestOwnerProxy:BundleEncoding:Csv and :Sev must be Raw or Base64")
            .Validate(o => o.ReloadInterval >= TimeSpan.Zero, "GuestOwnerProxy:ReloadInterval must not be negative")
            .ValidateOnStart();

        builder.Services.AddSerilog(
            (services, logger) => LoggingSetup.Configure(logger, builder.Configuration, services),
            preserveStaticLogger: true);

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var options = context.Configuration.GetSection(GuestOwnerProxyOptions.SectionName).Get<GuestOwnerProxyOptions>() ?? new();
            KestrelEndpoints.Configure(kestrel, options);
        });

        builder.Services.AddGrpc(grpc =>
        {
            grpc.EnableDetailedErrors = false;
            grpc.Interceptors.Add<DenialInterceptor>();
            // Largest legitimate request: a full SEV chain (PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK) of about 11.5 KiB.
            grpc.MaxReceiveMessageSize = 256 * 1024;
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks().AddCheck<ConfigurationHealthCheck>("configuration");

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<IRandomSource>(SystemRandomSource.Instance);
        builder.Services.TryAddSingleton<IPlatformRegistry>(PlatformRegistry.Default);
        builder.Services.AddSingleton<ServerSettings>();
        builder.Services.AddSingleton<BrokerConfigurationStore>();
        builder.Services.AddSingleton<IBrokerConfigurationSource>(sp => sp.GetRequiredService<BrokerConfigurationStore>());
        builder.Services.AddSingleton<InMemorySessionStore>();
        builder.Services.AddSingleton<ISessionStore>(sp => sp.GetRequiredService<InMemorySessionStore>());
        builder.Services.AddSingleton<IAuditLog>(sp =>
        {
            var path = sp.GetRequiredService<ServerSettings>().Current.AuditLog;
            return string.IsNullOrWhiteSpace(path) ? new NullAuditLog() : new JsonLinesAuditLog(path);
        });
        builder.Services.AddSingleton<DecisionRecorder>();
        builder.Services.AddSingleton<BrokerDependencies>();
        builder.Services.AddSingleton<BundleIssuer>();
        builder.Services.AddSingleton<SecretReleaser>();
        builder.Services.AddHostedService<ConfigurationReloadService>();

        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapGrpcService<SetupService>();
        app.MapGrpcService<KeyBroker.KeyBrokerService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();

        // Validate everything now: a broken file stops the start instead of failing at request time.
        app.Services.GetRequiredService<BrokerConfigurationStore>().Initialize();
        // Everything that reads settings once is created now, so bad settings stop the start (exit 2), not a request.
        app.Services.GetRequiredService<ISessionStore>();
        app.Services.GetRequiredService<BundleIssuer>();
        app.Services.GetRequiredService<SecretReleaser>();
        var audit = app.Services.GetRequiredService<IAuditLog>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServerHost).FullName!);
        if (audit is NullAuditLog)
            log.LogWarning("Audit log disabled (GuestOwnerProxy:AuditLog is empty)");
        else if (audit is JsonLinesAuditLog file)
            log.LogInformation("Audit log: {AuditLog}", file.Path);
        var settings = app.Services.GetRequiredService<ServerSettings>().Current;
        log.LogInformation("Guest owner proxy ({Environment}) listening on {Urls}; sessions: TTL {Ttl}, max {MaxSessions}, {MaxAttempts} measurement attempts",
            builder.Environment.EnvironmentName, string.Join(", ", KestrelEndpoints.UrlsOf(settings)),
            settings.Sessions.Ttl, settings.Sessions.MaxSessions, settings.Sessions.MaxMeasurementAttempts);
        return app;
    }
}
