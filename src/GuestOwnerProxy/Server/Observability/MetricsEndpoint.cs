using System.Diagnostics.Metrics;
using GuestOwnerProxy.Server.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace GuestOwnerProxy.Server.Observability;

/// <summary>
/// The Prometheus scrape endpoint on its own listener (<see cref="MetricsOptions"/>): plain HTTP/1.1, only
/// <c>GET /metrics</c>, nothing else. Connections accepted by that listener are marked, and requests are told apart
/// by the mark the listener put on the connection, which no request can forge or spell differently
/// (unlike a Host header or a port compared after binding): a gRPC listener never serves /metrics, and the metrics listener never reaches the broker's middleware or services.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    private static readonly object ConnectionMark = new();

    /// <summary>The Kestrel listener: HTTP/1.1 (what Prometheus speaks), each connection marked.</summary>
    public static void Configure(ListenOptions listen)
    {
        listen.Protocols = HttpProtocols.Http1;
        listen.Use(next => connection =>
        {
            connection.Items[ConnectionMark] = true;
            return next(connection);
        });
    }

    public static void AddServices(IServiceCollection services, MetricsOptions options)
    {
        // Instruments exist in any case (GopMetrics); the SDK and the exporter only when they are exported.
        if (options.Url is null)
            return;
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(GopMetrics.MeterName).AddPrometheusExporter();
            // The SDK listens to every meter of that name in the process; this host exports only its own (meters
            // from its IMeterFactory carry the factory as their scope), so servers sharing a process (tests, the
            // in-process load test) never count each other's launches.
            ((IDeferredMeterProviderBuilder)metrics).Configure((provider, builder) =>
            {
                var ownFactory = provider.GetRequiredService<IMeterFactory>();
                builder.AddView(instrument => ReferenceEquals(instrument.Meter.Scope, ownFactory) ? null : MetricStreamConfiguration.Drop);
            });
        });
    }

    /// <summary>Must run first: metrics connections branch off before the rate limiter and the request guard.</summary>
    public static void Map(WebApplication app, MetricsOptions options)
    {
        if (options.Url is null)
            return;
        app.MapWhen(IsMetricsConnection, metrics =>
        {
            metrics.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
                context.Request.Path == Path && HttpMethods.IsGet(context.Request.Method));
            metrics.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
    }

    private static bool IsMetricsConnection(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(ConnectionMark) == true;
}
