using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Grpc.Core;
using GuestOwnerProxy.Server.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace GuestOwnerProxy.Server.Tests.Hosting;

/// <summary>
/// The Prometheus endpoint of a real server (Kestrel, its own HTTP/1.1 listener) after real gRPC launches with the
/// simulated firmware: every metric the dashboard reads is there with its labels, the gRPC port does not answer
/// /metrics, and Metrics:Port 0 leaves no listener.
/// </summary>
public sealed class MetricsEndpointTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>A port free now (the setting takes a fixed port: 0 means disabled). Bound by Kestrel a moment later.</summary>
    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<(ProxyServer Server, int Port)> StartWithMetricsAsync(ServerSetup? setup = null)
    {
        setup ??= new ServerSetup();
        int port = FreePort();
        setup.Settings["GuestOwnerProxy:Metrics:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        setup.Settings["GuestOwnerProxy:Metrics:ListenAddress"] = "127.0.0.1";
        return (await ProxyServer.StartAsync(setup), port);
    }

    [Fact]
    public async Task Metrics_after_a_simulated_launch_show_the_decisions_and_the_servers_state_with_their_labels()
    {
        var (server, port) = await StartWithMetricsAsync();
        await using var _ = server;
        // Two CSV launches from one host (the second chain check is a cache hit), one released, one denied.
        var platform = TestPlatforms.Csv(Platform.CsvMeasurementVariant.Build32);
        using (var launch = await SimulatedLaunch.StartAsync(server.Client, platform, [server.Setup.OvmfBytes]))
            await server.Client.GetLaunchSecretAsync(launch.SecretRequest());
        using (var launch = await SimulatedLaunch.StartAsync(server.Client, platform, [server.Setup.OvmfBytes]))
            await Denied.Assert(async () => await server.Client.GetLaunchSecretAsync(launch.SecretRequest(keyset: "NO-SUCH-KEYSET")),
                StatusCode.InvalidArgument, "KEYSET INVALID", "KEYSET_INVALID");

        var text = await Http.GetStringAsync($"http://127.0.0.1:{port}/metrics");

        AssertSample(text, "gop_bundles_total", new() { ["platform"] = "csv", ["protocol"] = "setup", ["outcome"] = "issued" }, 2);
        AssertSample(text, "gop_secrets_total", new() { ["platform"] = "csv", ["protocol"] = "setup", ["outcome"] = "released", ["reason"] = "" }, 1);
        // Denied before the session was looked up: the platform is not known yet.
        AssertSample(text, "gop_secrets_total", new() { ["platform"] = "unknown", ["outcome"] = "denied", ["reason"] = "KEYSET_INVALID" }, 1);
        AssertSample(text, "gop_measurement_formula_matches_total", new() { ["platform"] = "csv", ["formula"] = "csv-build32" }, 1);
        AssertSample(text, "gop_chain_cache_lookups_total", new() { ["result"] = "miss" }, 1);
        AssertSample(text, "gop_chain_cache_lookups_total", new() { ["result"] = "hit" }, 1);
        // The denied launch's session is still live (a failed keyset check does not take it).
        AssertSample(text, "gop_sessions_live", new(), 1);
        AssertSample(text, "gop_session_store_errors_total", new() { ["operation"] = "add" }, 0);
        AssertSample(text, "gop_config_reloads_total", new() { ["source"] = "files", ["result"] = "rejected" }, 0);
        AssertSample(text, "gop_audit_write_failures_total", new(), 0);
        AssertSample(text, "gop_grpc_request_duration_seconds_count", new() { ["method"] = "/Setup/GetLaunchBundle", ["code"] = "OK" }, 2);
        AssertSample(text, "gop_grpc_request_duration_seconds_count", new() { ["method"] = "/Setup/GetLaunchSecret", ["code"] = "InvalidArgument" }, 1);
        Assert.Contains("# TYPE gop_grpc_request_duration_seconds histogram", text);
        // Bounded labels only: no peer address, connection or launch id anywhere.
        Assert.DoesNotContain("127.0.0.1", text);
        Assert.DoesNotContain("connection", text);
        Assert.DoesNotContain("peer", text);
    }

    [Fact]
    public async Task Rejected_reload_and_audit_write_failure_are_counted()
    {
        // An audit log whose writes fail (a full disk): the decision stands, the failure is counted.
        var setup = new ServerSetup { Services = services => services.AddSingleton<IAuditLog>(new FullDiskAuditLog()) };
        var (server, port) = await StartWithMetricsAsync(setup);
        await using var _ = server;
        File.WriteAllText(server.Setup.Directory.File("keysets.json"), "{ broken");
        await Eventually.WaitFor(() => server.ConfigurationStore.RejectedReloads >= 1);
        await Denied.Assert(async () => await server.Client.GetLaunchSecretAsync(new() { ConnectionId = 1, KeysetId = "KEYSET-1", BuildId = 15 }),
            StatusCode.InvalidArgument, "CONNECTION ID INVALID", "CONNECTION_ID_INVALID");

        var text = await Http.GetStringAsync($"http://127.0.0.1:{port}/metrics");

        AssertSample(text, "gop_config_reloads_total", new() { ["source"] = "files", ["result"] = "rejected" }, 1);
        AssertSample(text, "gop_config_reloads_total", new() { ["source"] = "files", ["result"] = "accepted" }, 0);
        AssertSample(text, "gop_audit_write_failures_total", new(), 1);
    }

    private sealed class FullDiskAuditLog : IAuditLog
    {
        public void Write(AuditRecord record) => throw new IOException("No space left on device");
    }


    [Fact]
    public async Task The_grpc_port_does_not_answer_metrics_and_the_metrics_port_answers_nothing_else()
    {
        var (server, port) = await StartWithMetricsAsync();
        await using var _ = server;

        // h2c with prior knowledge, as a gRPC client talks to the gRPC port.
        using var h2c = new HttpRequestMessage(HttpMethod.Get, $"{server.Address}/metrics")
        {
            Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var onGrpcPort = await Http.SendAsync(h2c);
        Assert.Equal(HttpStatusCode.NotFound, onGrpcPort.StatusCode);
        Assert.DoesNotContain("gop_", await onGrpcPort.Content.ReadAsStringAsync());

        using var other = await Http.GetAsync($"http://127.0.0.1:{port}/Setup/GetLaunchBundle");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using var metrics = await Http.GetAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(new Version(1, 1), metrics.Version);
    }

    [Fact]
    public async Task Metrics_port_0_disables_the_listener()
    {
        // The test infrastructure's default is Metrics:Port 0.
        await using var server = await ProxyServer.StartAsync();

        Assert.Equal([server.Address], server.App.Urls);
        Assert.True(server.Logs.Contains("Metrics: disabled (GuestOwnerProxy:Metrics:Port is 0)"));
    }

    /// <summary>Asserts a sample of <paramref name="name"/> whose labels include <paramref name="labels"/> has <paramref name="value"/>.</summary>
    private static void AssertSample(string text, string name, Dictionary<string, string>? labels, double? value, bool present = true)
    {
        var samples = Regex.Matches(text, $@"^{Regex.Escape(name)}(?:\{{(?<labels>[^}}]*)\}})? (?<value>\S+)", RegexOptions.Multiline)
            .Select(m => (Labels: ParseLabels(m.Groups["labels"].Value), Value: double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        if (!present)
        {
            Assert.Empty(samples);
            return;
        }
        var matching = samples.Where(s => labels!.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        Assert.True(matching.Count > 0, $"no sample {name} with {string.Join(",", labels!.Select(l => $"{l.Key}={l.Value}"))} in:\n{text}");
        Assert.Equal(value!.Value, matching.Sum(s => s.Value));
    }

    private static Dictionary<string, string> ParseLabels(string labels) =>
        Regex.Matches(labels, @"(\w+)=""((?:[^""\\]|\\.)*)""").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
}
