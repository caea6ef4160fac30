using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// Logs each health check's status once when it changes, with the check's description and exception: a session store
/// that stops answering PING while its connection still counts as up, a rejected edit, a check that throws. ASP.NET's
/// health-check service would log a line on every probe instead (a Docker HEALTHCHECK or a Kubernetes probe asks every
/// few seconds), so its logger is silenced (<see cref="LoggingSetup"/>) and this publisher, run by the host every 30 s
/// (<see cref="HealthCheckPublisherOptions"/>), says what changed.
/// </summary>
public sealed class HealthTransitionLog(ILogger<HealthTransitionLog> logger) : IHealthCheckPublisher
{
    private readonly Dictionary<string, HealthStatus> _last = [];

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        lock (_last)
        {
            foreach (var (name, entry) in report.Entries)
            {
                // A check first seen healthy is what a start looks like: nothing to say.
                var before = _last.TryGetValue(name, out var known) ? known : HealthStatus.Healthy;
                _last[name] = entry.Status;
                if (entry.Status == before)
                    continue;
                if (entry.Status == HealthStatus.Healthy)
                    logger.LogInformation("Health: {Check} is healthy again ({Description})", name, entry.Description);
                else
                    logger.Log(entry.Status == HealthStatus.Unhealthy ? LogLevel.Error : LogLevel.Warning, entry.Exception,
                        "Health: {Check} is {Status}: {Description}", name, entry.Status.ToString(), entry.Description ?? entry.Exception?.Message);
            }
        }
        return Task.CompletedTask;
    }
}
