using GuestOwnerProxy.Server.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>Serving once a validated configuration is loaded; degraded while edits are being rejected.</summary>
public sealed class ConfigurationHealthCheck(BrokerConfigurationStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var current = store.Current;
            return Task.FromResult(HealthCheckResult.Healthy($"configuration version {current.Version}"));
        }
        catch (InvalidOperationException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("configuration not loaded"));
        }
    }
}
