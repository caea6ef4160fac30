using GuestOwnerProxy.Server.Sessions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// Unhealthy (grpc.health.v1 NOT_SERVING) while the session store cannot serve: with Redis unreachable every bundle and
/// secret is denied UNAVAILABLE, so a load balancer should send kata elsewhere. Healthy again by itself when it returns.
/// </summary>
public sealed class SessionStoreHealthCheck(ISessionStore sessions) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await sessions.ProblemAsync() is { } problem
            ? HealthCheckResult.Unhealthy($"session store unavailable: {problem}")
            : HealthCheckResult.Healthy("session store serving");
}
