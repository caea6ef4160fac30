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
/// by the mark rather than by port (the port may be reused across tests, and a client cannot forge a connection item):
/// a gRPC listener never serves /metrics, and the metrics listener never reaches the broker's middleware or services.
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
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GopMetrics.MeterName)
            .AddPrometheusExporter());
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
