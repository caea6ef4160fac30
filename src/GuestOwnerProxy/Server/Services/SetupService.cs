using Google.Protobuf;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Sessions;
using Grpc.Core;

namespace GuestOwnerProxy.Server.Services;

/// <summary>
/// The original <c>Setup</c> service (paths /Setup/GetLaunchBundle, /Setup/GetLaunchSecret): wire messages to
/// broker requests and decisions back to wire messages. Denials become statuses in <see cref="DenialInterceptor"/>.
/// </summary>
public sealed class SetupService : Setup.SetupBase
{
    private readonly BundleIssuer _issuer;
    private readonly SecretReleaser _releaser;
    private readonly ServerSettings _settings;

    public SetupService(BundleIssuer issuer, SecretReleaser releaser, ServerSettings settings)
    {
        _issuer = issuer;
        _releaser = releaser;
        _settings = settings;
    }

    public override async Task<BundleResponse> GetLaunchBundle(BundleRequest request, ServerCallContext context)
    {
        // Read the (validated, last good) encodings before a session exists: nothing after IssueAsync may fail.
        var encodings = _settings.Current.BundleEncoding;
        var bundle = (await _issuer.IssueAsync(new BundleRequestFacts(
            request.PlatformPublicKey.ToByteArray(),
            request.CertificateChain.ToByteArray(),
            unchecked((uint)request.Policy),
            context.Peer,
            BrokerProtocol.Setup) { Client = ClientIdentity.Of(context) })).OrDeny();
        var encoding = BundleEncoder.For(bundle.Platform, encodings);
        return new BundleResponse
        {
            GuestOwnerPublicKey = ByteString.CopyFrom(BundleEncoder.Encode(bundle.GodhCertificate, encoding)),
            LaunchBlob = ByteString.CopyFrom(BundleEncoder.Encode(bundle.SessionBlob, encoding)),
            ConnectionId = bundle.ConnectionId,
        };
    }

    public override async Task<SecretResponse> GetLaunchSecret(SecretRequest request, ServerCallContext context)
    {
        var secret = (await _releaser.ReleaseAsync(new SecretRequestFacts(
            SessionHandle.ForConnection(request.ConnectionId),
            request.KeysetId,
            unchecked((uint)request.Policy),
            request.ApiMajor,
            request.ApiMinor,
            // Build ids travel as int32; read the bits as unsigned (Hygon build ids are large).
            unchecked((uint)request.BuildId),
            request.LaunchMeasurement.ToByteArray(),
            context.Peer))).OrDeny();
        return new SecretResponse
        {
            LaunchSecretHeader = ByteString.CopyFrom(secret.Header),
            LaunchSecretData = ByteString.CopyFrom(secret.Data),
        };
    }
}
