using GuestOwnerProxy.Protocol.KeyBroker;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Policy;
using GuestOwnerProxy.Server.Sessions;
using Grpc.Core;

namespace GuestOwnerProxy.Server.KeyBroker;

/// <summary>
/// simple-kbs's <c>keybroker.KeyBrokerService</c> over the same broker as the Setup service: same trust, keyset
/// policy, sessions (a launch id is the same session's UUID) and audit. This class only translates: base64
/// strings and UUIDs in, base64 strings out. A field that does not parse is refused through the broker's
/// <see cref="DecisionRecorder"/> (so it is audited like every other decision); denials become statuses in
/// <see cref="Services.DenialInterceptor"/>.
/// </summary>
public sealed class KeyBrokerService : Protocol.KeyBroker.KeyBrokerService.KeyBrokerServiceBase
{
    private readonly BundleIssuer _issuer;
    private readonly SecretReleaser _releaser;
    private readonly DecisionRecorder _recorder;

    public KeyBrokerService(BundleIssuer issuer, SecretReleaser releaser, DecisionRecorder recorder)
    {
        _issuer = issuer;
        _releaser = releaser;
        _recorder = recorder;
    }

    public override async Task<BundleResponse> GetBundle(BundleRequest request, ServerCallContext context)
    {
        byte[] chain;
        try
        {
            chain = KeyBrokerRequestParser.CertificateChain(request);
        }
        catch (LaunchDeniedException ex)
        {
            return _recorder.RefuseAtEdge<BundleResponse>(AuditEvent.Bundle, BrokerProtocol.KeyBroker, context.Peer, ex.Reason, request.Policy).OrDeny();
        }
        // The chain is the platform's one exported file: the platform registry splits it.
        var bundle = (await _issuer.IssueAsync(new BundleRequestFacts([], chain, request.Policy, context.Peer,
            BrokerProtocol.KeyBroker, ChainIsExportFile: true) { Client = Services.ClientIdentity.Of(context) })).OrDeny();
        return new BundleResponse
        {
            GuestOwnerPublicKey = Convert.ToBase64String(bundle.GodhCertificate),
            LaunchBlob = Convert.ToBase64String(bundle.SessionBlob),
            LaunchId = bundle.LaunchId.ToString(),
        };
    }

    public override async Task<SecretResponse> GetSecret(SecretRequest request, ServerCallContext context)
    {
        KeyBrokerSecretQuery query;
        try
        {
            query = KeyBrokerRequestParser.Secret(request);
        }
        catch (LaunchDeniedException ex)
        {
            return _recorder.RefuseAtEdge<SecretResponse>(AuditEvent.Secret, BrokerProtocol.KeyBroker, context.Peer, ex.Reason,
                request.Policy, request.LaunchId).OrDeny();
        }
        var secret = (await _releaser.ReleaseAsync(new SecretRequestFacts(
            SessionHandle.ForLaunch(query.LaunchId), query.KeysetId, query.Policy, query.ApiMajor, query.ApiMinor, query.BuildId,
            query.LaunchMeasurement, context.Peer)
        {
            FwDigest = query.FwDigest,
            Entries = query.Entries,
        })).OrDeny();
        return new SecretResponse
        {
            LaunchSecretHeader = Convert.ToBase64String(secret.Header),
            LaunchSecretData = Convert.ToBase64String(secret.Data),
        };
    }

    public override Task<OnlineSecretResponse> GetOnlineSecret(OnlineSecretRequest request, ServerCallContext context) =>
        Task.FromResult(_recorder.RefuseAtEdge<OnlineSecretResponse>(
            AuditEvent.OnlineSecret, BrokerProtocol.KeyBroker, context.Peer, DenialReason.OnlineSecretUnsupported).OrDeny());
}
