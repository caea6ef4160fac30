using GuestOwnerProxy.Server.Services;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Grpc.Core;
using Serilog.Events;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>Bodies that are not the method's message, sent as raw bytes over real h2c gRPC.</summary>
public sealed class MalformedRequestTests
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    private static Task<byte[]> Send(ProxyServer server, string path, byte[] body)
    {
        int slash = path.LastIndexOf('/');
        var method = new Method<byte[], byte[]>(MethodType.Unary, path[1..slash], path[(slash + 1)..], Raw, Raw);
        return server.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(), body).ResponseAsync;
    }

    [Theory]
    [InlineData("/Setup/GetLaunchBundle", "BundleRequest", "bundle", "setup")]
    [InlineData("/Setup/GetLaunchSecret", "SecretRequest", "secret", "setup")]
    [InlineData("/keybroker.KeyBrokerService/GetBundle", "BundleRequest", "bundle", "keybroker")]
    [InlineData("/keybroker.KeyBrokerService/GetSecret", "SecretRequest", "secret", "keybroker")]
    [InlineData("/keybroker.KeyBrokerService/GetOnlineSecret", "OnlineSecretRequest", "online-secret", "keybroker")]
    public async Task A_body_that_does_not_parse_is_invalid_argument_and_audited(string path, string message, string auditEvent, string protocol)
    {
        await using var server = await ProxyServer.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Send(server, path, [0xff, 0xff, 0xff, 0xff]));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith($"REQUEST INVALID: the body is not a {message} message: ", ex.Status.Detail);
        Assert.Equal("REQUEST_MALFORMED", RpcStatusMapper.ReasonOf(ex));
        var audit = LaunchTests.JsonLinesAuditLogParse(Assert.Single(server.AuditLines()));
        Assert.Equal((auditEvent, "denied", "REQUEST_MALFORMED", protocol), (audit.Event, audit.Decision, audit.Reason, audit.Protocol));
        Assert.StartsWith("ipv4:127.0.0.1:", audit.Peer);
        Assert.DoesNotContain(server.Logs.Events, e => e.Exception is not null || e.Level >= LogEventLevel.Error);
    }

    [Fact]
    public async Task A_flood_of_garbage_is_audited_in_full_and_logged_as_a_count()
    {
        await using var server = await ProxyServer.StartAsync();
        const int Requests = 300;
        for (int i = 0; i < Requests; i++)
            await Assert.ThrowsAsync<RpcException>(() => Send(server, "/Setup/GetLaunchSecret", [0xff, 0xff, 0xff, 0xff]));
        server.Time.Advance(TimeSpan.FromSeconds(11));
        await Assert.ThrowsAsync<RpcException>(() => Send(server, "/Setup/GetLaunchSecret", [0xff, 0xff, 0xff, 0xff]));

        Assert.Equal(Requests + 1, server.AuditLines().Count);
        var lines = server.Logs.Events.Where(e => e.RenderMessage().Contains("REQUEST_MALFORMED", StringComparison.Ordinal)).ToList();
        // The first line, one summary at the end of the interval, the first line of the next interval.
        Assert.Equal(3, lines.Count);
        Assert.Contains($"{Requests - 1} more refusals", lines[1].RenderMessage());
        Assert.DoesNotContain("more", lines[2].RenderMessage());
    }

    [Fact]
    public async Task Truncated_messages_and_oversized_bodies_are_refused()
    {
        await using var server = await ProxyServer.StartAsync();
        // A length-delimited field announcing 16 bytes with 1 following: a truncated message.
        var truncated = await Assert.ThrowsAsync<RpcException>(() => Send(server, "/Setup/GetLaunchBundle", [0x0a, 0x10, 0x01]));
        Assert.Equal(StatusCode.InvalidArgument, truncated.StatusCode);
        Assert.Equal("REQUEST_MALFORMED", RpcStatusMapper.ReasonOf(truncated));

        var large = await Assert.ThrowsAsync<RpcException>(() => Send(server, "/Setup/GetLaunchBundle", new byte[MalformedRequestGuard.MaxMessageSize + 1]));
        Assert.Equal(StatusCode.ResourceExhausted, large.StatusCode);
        Assert.Equal("REQUEST_TOO_LARGE", RpcStatusMapper.ReasonOf(large));
    }

    /// <summary>Routing ignores case, so the guard and the rate limiter must too: they take the method routing chose.</summary>
    [Fact]
    public async Task Another_spelling_of_the_path_is_guarded_too()
    {
        await using var server = await ProxyServer.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => Send(server, "/setup/getlaunchbundle", [0xff, 0xff, 0xff, 0xff]));
        Assert.Equal((StatusCode.InvalidArgument, "REQUEST_MALFORMED"), (ex.StatusCode, RpcStatusMapper.ReasonOf(ex)));
        Assert.DoesNotContain(server.Logs.Events, e => e.Exception is not null || e.Level >= LogEventLevel.Error);
    }

    [Fact]
    public async Task A_compressed_message_is_refused_unread()
    {
        await using var server = await ProxyServer.StartAsync();
        var method = new Method<byte[], byte[]>(MethodType.Unary, "Setup", "GetLaunchBundle", Raw, Raw);
        var gzip = new Metadata { { "grpc-internal-encoding-request", "gzip" } };
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            server.Channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(gzip), [0xff, 0xff, 0xff]).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.EndsWith("compressed request messages are not accepted", ex.Status.Detail);
    }

    [Fact]
    public async Task A_well_formed_request_still_reaches_the_service()
    {
        await using var server = await ProxyServer.StartAsync();
        var bundle = await server.Client.GetLaunchBundleAsync(SimulatedLaunch.BundleRequestFor(TestPlatforms.Sev));
        Assert.True(bundle.ConnectionId > 0);
    }
}
