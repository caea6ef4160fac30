using System.Text;
using Google.Protobuf;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Services;
using Grpc.Core;

namespace GuestOwnerProxy.Server.Tests.Infrastructure;

/// <summary>One kata launch driven the way kata and QEMU would, with the simulated firmware.</summary>
public sealed class SimulatedLaunch : FirmwareLaunch
{
    private SimulatedLaunch(ISoftwarePlatform platform, BundleResponse bundle, ISoftwareLaunch launch, uint policy)
        : base(platform, launch, policy) => Bundle = bundle;

    public BundleResponse Bundle { get; }
    public int ConnectionId => Bundle.ConnectionId;

    public static BundleRequest BundleRequestFor(ISoftwarePlatform platform, uint policy = 0) => new()
    {
        PlatformPublicKey = ByteString.CopyFrom(platform.PdhCertificate),
        CertificateChain = ByteString.CopyFrom(platform.CertificateChain),
        Policy = unchecked((int)policy),
    };

    /// <param name="data">What QEMU feeds LAUNCH_UPDATE_DATA (firmware image, then the hashes table when measured).</param>
    public static async Task<SimulatedLaunch> StartAsync(
        Setup.SetupClient client, ISoftwarePlatform platform, IEnumerable<byte[]> data, uint policy = 0, BundleRequest? request = null,
        IEnumerable<byte[]>? vmsas = null)
    {
        var bundle = await client.GetLaunchBundleAsync(request ?? BundleRequestFor(platform, policy));
        var launch = Start(platform, Decode(platform.Kind, bundle.GuestOwnerPublicKey), Decode(platform.Kind, bundle.LaunchBlob), policy, data, vmsas);
        return new SimulatedLaunch(platform, bundle, launch, policy);
    }

    /// <summary>The default encodings: base64 text for CSV (what the Hygon client hands QEMU), raw for SEV.</summary>
    public static byte[] Decode(PlatformKind kind, ByteString field) =>
        kind == PlatformKind.Csv ? Convert.FromBase64String(Encoding.ASCII.GetString(field.Span)) : field.ToByteArray();

    public SecretRequest SecretRequest(string keyset = "KEYSET-1", byte[]? measurement = null) => new()
    {
        ConnectionId = ConnectionId,
        LaunchMeasurement = ByteString.CopyFrom(measurement ?? Measurement),
        ApiMajor = Platform.Version.ApiMajor,
        ApiMinor = Platform.Version.ApiMinor,
        BuildId = unchecked((int)Platform.Version.BuildId),
        Policy = unchecked((int)Policy),
        KeysetId = keyset,
    };

    public IReadOnlyList<GuestSecretEntry> Inject(SecretResponse response) =>
        InjectPacket(response.LaunchSecretHeader.ToByteArray(), response.LaunchSecretData.ToByteArray());
}

public static class Denied
{
    /// <summary>Asserts a gRPC failure with the exact status, detail string and ErrorInfo reason.</summary>
    public static async Task<RpcException> Assert(Func<Task> call, StatusCode code, string detail, string? reason = null)
    {
        var ex = await Xunit.Assert.ThrowsAsync<RpcException>(call);
        Xunit.Assert.Equal(code, ex.StatusCode);
        Xunit.Assert.Equal(detail, ex.Status.Detail);
        if (reason is not null)
            Xunit.Assert.Equal(reason, RpcStatusMapper.ReasonOf(ex));
        return ex;
    }
}
