using GuestOwnerProxy.Server.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// The <c>gop.config</c> health service: unhealthy (NOT_SERVING) while an edit of keysets/keys/trust/image files or of
/// appsettings is being rejected, healthy once what is on disk is what serves. The overall status does not
/// depend on it (<see cref="ConfigurationHealthCheck"/> reports such a state as degraded, still SERVING): the last good
/// configuration serves, and the operator has an edit to fix.
/// </summary>
public sealed class ConfigurationEditsHealthCheck(BrokerConfigurationStore store, ServerSettings settings) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            settings.Rejection is { } rejectedSettings ? HealthCheckResult.Unhealthy($"settings change rejected: {rejectedSettings}")
            : store.LastRejection is { } rejected ? HealthCheckResult.Unhealthy($"configuration change rejected: {rejected}")
            : HealthCheckResult.Healthy("the configuration on disk is the one serving"));
}
