using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Protocol.KeyBroker;
using GuestOwnerProxy.Server.Tests.Infrastructure;

namespace GuestOwnerProxy.Server.Tests.KeyBroker;

/// <summary>One launch driven the way later kata releases drive simple-kbs: base64 strings, a UUID launch id.</summary>
public sealed class KeyBrokerLaunch : FirmwareLaunch
{
    public const string KataGuid = "e6f5a162-d67f-4750-a67c-5d065f2a9910";

    private KeyBrokerLaunch(ISoftwarePlatform platform, BundleResponse bundle, ISoftwareLaunch launch, uint policy)
        : base(platform, launch, policy) => Bundle = bundle;

    public BundleResponse Bundle { get; }

    public static BundleRequest BundleRequestFor(byte[] chain, uint policy = 0) =>
        new() { CertificateChain = Convert.ToBase64String(chain), Policy = policy };

    public static async Task<KeyBrokerLaunch> StartAsync(
        KeyBrokerService.KeyBrokerServiceClient client, ISoftwarePlatform platform, IEnumerable<byte[]> data, byte[]? chain = null, uint policy = 0,
        IEnumerable<byte[]>? vmsas = null)
    {
        var bundle = await client.GetBundleAsync(BundleRequestFor(chain ?? platform.FullChain, policy));
        var launch = Start(platform, Convert.FromBase64String(bundle.GuestOwnerPublicKey), Convert.FromBase64String(bundle.LaunchBlob), policy, data, vmsas);
        return new KeyBrokerLaunch(platform, bundle, launch, policy);
    }

    /// <summary>The request kata's offline KBC sends: one "bundle" secret, Format "JSON", Id = keyset.</summary>
    public SecretRequest KataRequest(string keyset = "KEYSET-1", bool withFwDigest = true)
    {
        var request = new SecretRequest
        {
            LaunchMeasurement = Convert.ToBase64String(Measurement),
            LaunchId = Bundle.LaunchId,
            Policy = Policy,
            ApiMajor = Platform.Version.ApiMajor,
            ApiMinor = Platform.Version.ApiMinor,
            BuildId = Platform.Version.BuildId,
            FwDigest = withFwDigest ? Convert.ToBase64String(Launch.LaunchDigest) : "",
            LaunchDescription = "kata sandbox",
        };
        request.SecretRequests.Add(new RequestDetails { Guid = KataGuid, Format = "JSON", SecretType = "bundle", Id = keyset });
        return request;
    }

    public IReadOnlyList<GuestSecretEntry> Inject(SecretResponse response) =>
        InjectPacket(Convert.FromBase64String(response.LaunchSecretHeader), Convert.FromBase64String(response.LaunchSecretData));
}

public static class Rejected
{
    /// <summary>Asserts a gRPC failure with the status, the ErrorInfo reason and (optionally) a detail fragment.</summary>
    public static async Task<Grpc.Core.RpcException> Assert(Func<Task> call, Grpc.Core.StatusCode code, string reason, string? detailContains = null)
    {
        var ex = await Xunit.Assert.ThrowsAsync<Grpc.Core.RpcException>(call);
        Xunit.Assert.Equal(code, ex.StatusCode);
        Xunit.Assert.Equal(reason, GuestOwnerProxy.Server.Services.RpcStatusMapper.ReasonOf(ex));
        if (detailContains is not null)
            Xunit.Assert.Contains(detailContains, ex.Status.Detail, StringComparison.Ordinal);
        return ex;
    }
}
