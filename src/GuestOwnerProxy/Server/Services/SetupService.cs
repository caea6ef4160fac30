using Google.Protobuf;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Policy;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Services;

/// <summary>
/// The original <c>Setup</c> service (paths /Setup/GetLaunchBundle, /Setup/GetLaunchSecret): a thin
/// adapter from wire messages to <see cref="LaunchBroker"/> and from denials to gRPC statuses.
/// </summary>
public sealed class SetupService : Setup.SetupBase
{
    private readonly LaunchBroker _broker;
    private readonly ServerSettings _settings;
    private readonly ILogger<SetupService> _logger;

    public SetupService(LaunchBroker broker, ServerSettings settings, ILogger<SetupService> logger)
    {
        _broker = broker;
        _settings = settings;
        _logger = logger;
    }

    public override Task<BundleResponse> GetLaunchBundle(BundleRequest request, ServerCallContext context) =>
        Task.FromResult(Guard(() =>
        {
            // Read the (validated, last good) encodings before a session exists: nothing after IssueBundle may fail.
            var encodings = _settings.Current.BundleEncoding;
            var bundle = _broker.IssueBundle(new BundleRequestFacts(
                request.PlatformPublicKey.ToByteArray(),
                request.CertificateChain.ToByteArray(),
                unchecked((uint)request.Policy),
                context.Peer));
            var encoding = BundleEncoder.For(bundle.Platform, encodings);
            return new BundleResponse
            {
                GuestOwnerPublicKey = ByteString.CopyFrom(BundleEncoder.Encode(bundle.GodhCertificate, encoding)),
                LaunchBlob = ByteString.CopyFrom(BundleEncoder.Encode(bundle.SessionBlob, encoding)),
                ConnectionId = bundle.ConnectionId,
            };
        }));

    public override Task<SecretResponse> GetLaunchSecret(SecretRequest request, ServerCallContext context) =>
        Task.FromResult(Guard(() =>
        {
            var secret = _broker.ReleaseSecret(new SecretRequestFacts(
                request.KeysetId,
                unchecked((uint)request.Policy),
                request.ApiMajor,
                request.ApiMinor,
                // Build ids travel as int32; read the bits as unsigned (Hygon build ids are large).
                unchecked((uint)request.BuildId),
                request.ConnectionId,
                request.LaunchMeasurement.ToByteArray(),
                context.Peer));
            return new SecretResponse
            {
                LaunchSecretHeader = ByteString.CopyFrom(secret.Header),
                LaunchSecretData = ByteString.CopyFrom(secret.Data),
            };
        }));

    private T Guard<T>(Func<T> call) => RpcStatusMapper.Guard(call, _logger, "Setup");
}
