using Grpc.AspNetCore.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// What grpc.health.v1 answers per service name, composed from health checks by tag: every check tagged
/// <see cref="ServingTag"/> decides the overall status (<c>""</c>) and that of each broker service (<c>Setup</c>,
/// <c>keybroker.KeyBrokerService</c>): one unhealthy check makes them NOT_SERVING. A component that the broker
/// cannot work without (a session store in another process) registers its own check with that tag and nothing
/// else changes here. <c>gop.config</c> answers from the checks tagged <see cref="ConfigTag"/>: NOT_SERVING while
/// an edit of the operator's files or settings is rejected, while the last good version keeps serving.
/// </summary>
public static class HealthServices
{
    /// <summary>Checks whose failure means the broker cannot serve launches (readiness).</summary>
    public const string ServingTag = "serving";

    /// <summary>Checks of the configuration on disk against the one serving.</summary>
    public const string ConfigTag = "config";

    /// <summary>The service name operators and probes ask about configuration edits.</summary>
    public const string ConfigService = "gop.config";

    /// <summary>Every service name grpc.health.v1 answers, with the tag of the checks behind it.</summary>
    public static IReadOnlyList<(string Service, string Tag)> Names { get; } =
    [
        ("", ServingTag),
        (Protocol.Setup.Setup.Descriptor.FullName, ServingTag),
        (Protocol.KeyBroker.KeyBrokerService.Descriptor.FullName, ServingTag),
        (ConfigService, ConfigTag),
    ];

    public static void Add(IServiceCollection services)
    {
        // Transitions are logged once, by the host's periodic publisher run; probes themselves log nothing.
        services.AddSingleton<IHealthCheckPublisher, HealthTransitionLog>();
        services.AddGrpcHealthChecks(health =>
            {
                health.Services.Clear();
                foreach (var (service, tag) in Names)
                    health.Services.Map(service, check => check.Tags.Contains(tag));
            })
            .AddCheck<ConfigurationHealthCheck>("configuration", tags: [ServingTag])
            .AddCheck<SessionStoreHealthCheck>("sessions", tags: [ServingTag])
            .AddCheck<ConfigurationEditsHealthCheck>("configuration-edits", tags: [ConfigTag]);
    }
}
