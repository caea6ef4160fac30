using Google.Protobuf;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Grpc.Core;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>GetLaunchBundle with bad platform evidence: always INVALID_ARGUMENT with a reason, never a session.</summary>
public sealed class BundleDenialTests
{
    private static async Task<RpcException> Bundle(ProxyServer server, BundleRequest request, string detailPrefix, string reason)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.GetLaunchBundleAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(detailPrefix, ex.Status.Detail);
        Assert.Equal(reason, GuestOwnerProxy.Server.Services.RpcStatusMapper.ReasonOf(ex));
        Assert.Equal(0, (await server.Sessions.CountAsync()));
        return ex;
    }

    [Theory]
    [InlineData(PlatformKind.Csv)]
    [InlineData(PlatformKind.Sev)]
    public async Task Platform_from_another_root_is_refused(PlatformKind kind)
    {
        await using var server = await ProxyServer.StartAsync();
        var ex = await Bundle(server, SimulatedLaunch.BundleRequestFor(TestPlatforms.Untrusted(kind)),
            "CERTIFICATE CHAIN INVALID: ", "CERTIFICATE_CHAIN_INVALID");
        Assert.Contains("denied", server.AuditLines().Last());
    }

    [Fact]
    public async Task Production_defaults_trust_no_simulator_root()
    {
        await using var server = await ProxyServer.StartAsync(new ServerSetup { TrustTestRoots = false });
        await Bundle(server, SimulatedLaunch.BundleRequestFor(TestPlatforms.Csv()), "CERTIFICATE CHAIN INVALID: ", "CERTIFICATE_CHAIN_INVALID");
        await Bundle(server, SimulatedLaunch.BundleRequestFor(TestPlatforms.Sev), "CERTIFICATE CHAIN INVALID: ", "CERTIFICATE_CHAIN_INVALID");
    }

    [Theory]
    [InlineData(PlatformKind.Csv)]
    [InlineData(PlatformKind.Sev)]
    public async Task Tampered_pdh_is_refused(PlatformKind kind)
    {
        await using var server = await ProxyServer.StartAsync();
        var request = SimulatedLaunch.BundleRequestFor(TestPlatforms.For(kind));
        var pdh = request.PlatformPublicKey.ToByteArray();
        pdh[0x20] ^= 0x01; // inside the public key, covered by the PEK's signature
        request.PlatformPublicKey = ByteString.CopyFrom(pdh);
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.GetLaunchBundleAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Matches("^CERTIFICATE (CHAIN )?INVALID: ", ex.Status.Detail);
    }

    [Fact]
    public async Task Unknown_empty_and_malformed_platform_keys()
    {
        await using var server = await ProxyServer.StartAsync();
        var chain = ByteString.CopyFrom(TestPlatforms.Csv().CertificateChain);
        var garbage = new byte[2084];
        new Random(7).NextBytes(garbage);
        await Bundle(server, new BundleRequest { PlatformPublicKey = ByteString.CopyFrom(garbage), CertificateChain = chain },
            "PLATFORM PUBLIC KEY INVALID: not a Hygon CSV or AMD SEV PDH certificate: unknown algorithm/curve", "PLATFORM_UNRECOGNIZED");
        await Bundle(server, new BundleRequest { PlatformPublicKey = ByteString.CopyFrom(new byte[10]), CertificateChain = chain },
            "PLATFORM PUBLIC KEY INVALID: not a Hygon CSV or AMD SEV PDH certificate: 10 bytes", "PLATFORM_UNRECOGNIZED");
        await Bundle(server, new BundleRequest(), "PLATFORM PUBLIC KEY INVALID: no PDH certificate", "PLATFORM_PUBLIC_KEY_MISSING");
    }

    [Theory]
    [InlineData(PlatformKind.Csv, 0)]
    [InlineData(PlatformKind.Csv, 100)]
    [InlineData(PlatformKind.Csv, 6251)]
    [InlineData(PlatformKind.Sev, 0)]
    [InlineData(PlatformKind.Sev, 4168)]
    [InlineData(PlatformKind.Sev, 6253)]
    public async Task Malformed_chain_lengths_are_invalid_argument(PlatformKind kind, int length)
    {
        await using var server = await ProxyServer.StartAsync();
        var platform = TestPlatforms.For(kind);
        var chain = new byte[length];
        platform.CertificateChain.AsSpan(0, Math.Min(length, platform.CertificateChain.Length)).CopyTo(chain);
        var request = new BundleRequest { PlatformPublicKey = ByteString.CopyFrom(platform.PdhCertificate), CertificateChain = ByteString.CopyFrom(chain) };
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.GetLaunchBundleAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Matches("^CERTIFICATE (CHAIN )?INVALID: ", ex.Status.Detail);
    }

    [Fact]
    public async Task Swapped_chain_certificates_are_refused()
    {
        await using var server = await ProxyServer.StartAsync();
        var platform = TestPlatforms.Sev;
        var chain = platform.CertificateChain;
        var swapped = chain[2084..4168].Concat(chain[..2084]).Concat(chain[4168..]).ToArray(); // OCA ‖ PEK ‖ CEK
        var request = new BundleRequest { PlatformPublicKey = ByteString.CopyFrom(platform.PdhCertificate), CertificateChain = ByteString.CopyFrom(swapped) };
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.GetLaunchBundleAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }
}
