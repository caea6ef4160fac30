using GuestOwnerProxy.Server.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// Healthy once a validated configuration is loaded; degraded while edits (keysets/keys/trust files or
/// appsettings) are being rejected and the last good version serves. grpc.health.v1 still answers SERVING
/// for degraded (only unhealthy is NOT_SERVING): the proxy works, the operator has an edit to fix.
/// </summary>
public sealed class ConfigurationHealthCheck(BrokerConfigurationStore store, ServerSettings settings) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        BrokerConfiguration current;
        try
        {
            current = store.Current;
        }
        catch (InvalidOperationException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("configuration not loaded"));
        }
        if (settings.Rejection is { } rejectedSettings)
            return Task.FromResult(HealthCheckResult.Degraded(
                $"configuration version {current.Version} serving; settings change rejected: {rejectedSettings}"));
        if (store.LastRejection is { } rejected)
            return Task.FromResult(HealthCheckResult.Degraded(
                $"configuration version {current.Version} serving; last change rejected: {rejected}"));
        return Task.FromResult(HealthCheckResult.Healthy($"configuration version {current.Version}"));
    }
}
