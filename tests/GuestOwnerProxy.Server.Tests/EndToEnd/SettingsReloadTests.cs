using GuestOwnerProxy.Server.Tests.Infrastructure;
using Grpc.Health.V1;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serilog.Events;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>An appsettings edit that does not bind or validate never becomes current.</summary>
public sealed class SettingsReloadTests
{
    private static void Change(ProxyServer server, string key, string value)
    {
        var configuration = (IConfigurationRoot)server.App.Configuration;
        configuration[key] = value;
        try
        {
            configuration.Reload();
        }
        catch (AggregateException)
        {
            // OptionsMonitor rebinds inside the change callback and throws to whoever raised the change: here the
            // test; for appsettings.json the file watcher's background task (which swallows it). Either way the
            // bad value is not cached: the next read fails again and ServerSettings keeps the last good one.
        }
    }

    private static async Task<HealthStatus> Health(ProxyServer server) =>
        (await server.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(
            check => check.Tags.Contains(GuestOwnerProxy.Server.Hosting.HealthServices.ServingTag))).Status;

    [Theory]
    [InlineData("Hex")]   // does not bind
    [InlineData("7")]     // binds to an undefined enum value, fails validation
    public async Task Bad_bundle_encoding_keeps_the_last_good_settings_and_bundles_keep_working(string value)
    {
        await using var server = await ProxyServer.StartAsync();
        Assert.Equal(HealthStatus.Healthy, await Health(server));
        Change(server, "GuestOwnerProxy:BundleEncoding:Csv", value);

        // Two launches: both get a base64 bundle (the last good CSV encoding) and their keys.
        for (int i = 0; i < 2; i++)
        {
            using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
            Assert.Single(launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest())));
        }
        var audit = server.AuditLines().Select(LaunchTests.JsonLinesAuditLogParse).ToList();
        Assert.DoesNotContain(audit, r => r.Decision == "denied");
        Assert.Equal(2, audit.Count(r => r.Event == "bundle" && r.Decision == "issued"));

        // Logged once, as an error naming the setting, without a stack trace.
        var rejections = server.Logs.Events.Where(e => e.RenderMessage().Contains("Settings change rejected")).ToList();
        var rejection = Assert.Single(rejections);
        Assert.Equal(LogEventLevel.Error, rejection.Level);
        Assert.Null(rejection.Exception);
        Assert.Contains("BundleEncoding", rejection.RenderMessage());

        // Degraded, but still SERVING over grpc.health.v1: the proxy works on the last good settings.
        Assert.Equal(HealthStatus.Degraded, await Health(server));
        var grpc = await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, grpc.Status);

        Change(server, "GuestOwnerProxy:BundleEncoding:Csv", "Base64");
        Assert.Equal(HealthStatus.Healthy, await Health(server));
    }
}
