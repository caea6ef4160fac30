using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Tests.Infrastructure;

namespace GuestOwnerProxy.Server.Tests.Hosting;

/// <summary>
/// https endpoints (GuestOwnerProxy:Urls + Tls): the server's PEM certificate and key, and optionally a
/// required client certificate chaining to ClientCaFile. Real Kestrel, real TLS, real gRPC clients.
/// </summary>
public sealed class TlsEndpointTests
{
    [Fact]
    public async Task Https_endpoint_serves_a_bundle_to_a_client_that_trusts_the_servers_certificate()
    {
        var setup = new ServerSetup();
        var (certificate, certificateFile, keyFile) = TestCertificates.WriteServerCertificate(setup.Directory);
        UseHttps(setup, certificateFile, keyFile);
        await using var server = await ProxyServer.StartAsync(setup);
        Assert.StartsWith("https://127.0.0.1:", server.Address);

        using var channel = TlsChannel(server.Address, certificate);
        var bundle = await new Setup.SetupClient(channel).GetLaunchBundleAsync(SimulatedLaunch.BundleRequestFor(TestPlatforms.Csv()));

        Assert.True(bundle.ConnectionId > 0);
        Assert.Equal(2084, SimulatedLaunch.Decode(PlatformKind.Csv, bundle.GuestOwnerPublicKey).Length);
        Assert.Equal(1, (await server.Sessions.CountAsync()));
    }

    [Fact]
    public async Task Https_endpoint_presents_exactly_the_configured_certificate()
    {
        var setup = new ServerSetup();
        var (_, certificateFile, keyFile) = TestCertificates.WriteServerCertificate(setup.Directory);
        var (other, _, _) = TestCertificates.WriteServerCertificate(setup.Directory, "other");
        UseHttps(setup, certificateFile, keyFile);
        await using var server = await ProxyServer.StartAsync(setup);

        // A client pinning a different certificate refuses the handshake: the callback really decides.
        using var channel = TlsChannel(server.Address, other);
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            new Setup.SetupClient(channel).GetLaunchBundleAsync(SimulatedLaunch.BundleRequestFor(TestPlatforms.Csv())).ResponseAsync);
        Assert.Contains(Causes(ex), e => e is System.Security.Authentication.AuthenticationException);
        Assert.Equal(0, (await server.Sessions.CountAsync()));
    }

    [Fact]
    public async Task Required_client_certificate_admits_only_clients_issued_by_the_configured_ca()
    {
        var setup = new ServerSetup();
        var (serverCertificate, certificateFile, keyFile) = TestCertificates.WriteServerCertificate(setup.Directory);
        using var clientCa = TestCertificates.CreateCertificateAuthority("CN=gop test client CA");
        using var strangerCa = TestCertificates.CreateCertificateAuthority("CN=somebody else's CA");
        UseHttps(setup, certificateFile, keyFile);
        setup.Settings["GuestOwnerProxy:Tls:RequireClientCertificate"] = "true";
        setup.Settings["GuestOwnerProxy:Tls:ClientCaFile"] = setup.Directory.Write("tls/client-ca.crt", clientCa.ExportCertificatePem());
        await using var server = await ProxyServer.StartAsync(setup);
        var request = SimulatedLaunch.BundleRequestFor(TestPlatforms.Sev);

        // No certificate: the handshake (or the first request on it) fails; no session is created.
        using (var anonymous = TlsChannel(server.Address, serverCertificate))
        {
            await Assert.ThrowsAsync<RpcException>(() => new Setup.SetupClient(anonymous).GetLaunchBundleAsync(request).ResponseAsync);
        }

        // A certificate from another CA is refused as well.
        using (var strangerClient = TestCertificates.IssueClientCertificate(strangerCa, "CN=stranger"))
        using (var stranger = TlsChannel(server.Address, serverCertificate, strangerClient))
        {
            await Assert.ThrowsAsync<RpcException>(() => new Setup.SetupClient(stranger).GetLaunchBundleAsync(request).ResponseAsync);
        }
        Assert.Equal(0, (await server.Sessions.CountAsync()));

        // Issued by the configured CA: served.
        using var kataClient = TestCertificates.IssueClientCertificate(clientCa, "CN=kata host");
        using var trusted = TlsChannel(server.Address, serverCertificate, kataClient);
        var bundle = await new Setup.SetupClient(trusted).GetLaunchBundleAsync(request);
        Assert.True(bundle.ConnectionId > 0);
        Assert.Equal(2084, bundle.GuestOwnerPublicKey.Length); // raw for SEV
        Assert.Equal(1, (await server.Sessions.CountAsync()));
    }

    private static IEnumerable<Exception> Causes(RpcException ex)
    {
        for (Exception? e = ex.Status.DebugException; e is not null; e = e.InnerException)
            yield return e;
    }

    private static void UseHttps(ServerSetup setup, string certificateFile, string keyFile)
    {
        setup.Settings["GuestOwnerProxy:Urls:0"] = "https://127.0.0.1:0";
        setup.Settings["GuestOwnerProxy:Tls:CertificateFile"] = certificateFile;
        setup.Settings["GuestOwnerProxy:Tls:KeyFile"] = keyFile;
    }

    /// <summary>A gRPC channel over TLS that trusts exactly <paramref name="serverCertificate"/> (by thumbprint).</summary>
    private static GrpcChannel TlsChannel(string address, X509Certificate2 serverCertificate, X509Certificate2? clientCertificate = null)
    {
        string expected = serverCertificate.Thumbprint;
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) =>
                presented is not null && string.Equals(presented.Thumbprint, expected, StringComparison.OrdinalIgnoreCase),
        };
        if (clientCertificate is not null)
        {
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(clientCertificate);
        }
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }
}
