using System.Net;
using System.Net.Sockets;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Services;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>One host flooding the proxy (from 127.0.0.2) while another (127.0.0.1) launches, over real h2c gRPC.</summary>
public sealed class ClientLimitTests
{
    /// <summary>A channel whose connections come from another loopback address: another client to the proxy.</summary>
    private static GrpcChannel ChannelFrom(string localAddress, string server) => GrpcChannel.ForAddress(server, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancel) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        },
    });

    [Fact]
    public async Task A_flooding_client_hits_its_quota_and_the_rate_limit_while_another_clients_launch_succeeds()
    {
        var setup = new ServerSetup();
        setup.Settings["GuestOwnerProxy:Sessions:MaxPerClient"] = "5";
        setup.Settings["GuestOwnerProxy:RateLimit:PermitsPerSecond"] = "1";
        setup.Settings["GuestOwnerProxy:RateLimit:Burst"] = "20";
        await using var server = await ProxyServer.StartAsync(setup);
        using var floodChannel = ChannelFrom("127.0.0.2", server.Address);
        var flood = new Setup.SetupClient(floodChannel);

        var outcomes = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            try
            {
                await flood.GetLaunchBundleAsync(SimulatedLaunch.BundleRequestFor(TestPlatforms.Sev));
                outcomes.Add("issued");
            }
            catch (RpcException ex)
            {
                Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
                outcomes.Add(RpcStatusMapper.ReasonOf(ex)!);
            }
        }
        Assert.Equal(5, outcomes.Count(o => o == "issued"));
        Assert.Contains("CLIENT_SESSION_QUOTA", outcomes);
        Assert.Contains("RATE_LIMITED", outcomes);
        Assert.Equal(["issued", "CLIENT_SESSION_QUOTA", "RATE_LIMITED"], outcomes.Distinct());

        // The other host has its own quota and its own bucket: a whole launch goes through.
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [setup.OvmfBytes]);
        Assert.Single(launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest())));

        var audit = server.AuditLines().Select(LaunchTests.JsonLinesAuditLogParse).ToList();
        Assert.Equal(outcomes.Count(o => o == "RATE_LIMITED"), audit.Count(r => r.Reason == "RATE_LIMITED"));
        Assert.All(audit.Where(r => r.Reason is "RATE_LIMITED" or "CLIENT_SESSION_QUOTA"), r => Assert.StartsWith("ipv4:127.0.0.2:", r.Peer));
        Assert.Contains(audit, r => r.Decision == "released" && r.Peer!.StartsWith("ipv4:127.0.0.1:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sessions_never_asked_for_their_secret_expire_at_the_idle_ttl()
    {
        var setup = new ServerSetup();
        setup.Settings["GuestOwnerProxy:Sessions:IdleTtl"] = "00:00:30";
        await using var server = await ProxyServer.StartAsync(setup);
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [setup.OvmfBytes]);
        server.Time.Advance(TimeSpan.FromSeconds(31));
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(launch.SecretRequest()).ResponseAsync,
            StatusCode.InvalidArgument, "CONNECTION ID INVALID", "CONNECTION_ID_INVALID");
    }
}
