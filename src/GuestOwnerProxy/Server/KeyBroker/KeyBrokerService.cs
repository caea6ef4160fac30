using GuestOwnerProxy.Protocol.KeyBroker;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Policy;
using GuestOwnerProxy.Server.Services;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.KeyBroker;

/// <summary>
/// simple-kbs's <c>keybroker.KeyBrokerService</c> (wire-protocol.md §3) over the same <see cref="LaunchBroker"/>
/// as the Setup service: same trust, keyset policy, sessions (a launch id is the same session's UUID) and audit.
/// This class only translates: base64 strings and UUIDs in, base64 strings out, denials to gRPC statuses.
/// Requests refused before they reach the broker (malformed base64, bad GUIDs, unsupported types) are audited here.
/// </summary>
public sealed class KeyBrokerService : Protocol.KeyBroker.KeyBrokerService.KeyBrokerServiceBase
{
    public const string ProtocolName = "keybroker";

    private readonly LaunchBroker _broker;
    private readonly IAuditLog _audit;
    private readonly TimeProvider _time;
    private readonly ILogger<KeyBrokerService> _logger;

    public KeyBrokerService(LaunchBroker broker, IAuditLog audit, TimeProvider time, ILogger<KeyBrokerService> logger)
    {
        _broker = broker;
        _audit = audit;
        _time = time;
        _logger = logger;
    }

    public override Task<BundleResponse> GetBundle(BundleRequest request, ServerCallContext context) =>
        Task.FromResult(Guard(() =>
        {
            var chain = Edge("bundle", context, request.Policy, null,
                () => KeyBrokerChain.Split(KeyBrokerRequestParser.CertificateChain(request)));
            var bundle = _broker.IssueBundle(new BundleRequestFacts(chain.Pdh, chain.Chain, request.Policy, context.Peer)
            {
                Protocol = ProtocolName,
            });
            return new BundleResponse
            {
                GuestOwnerPublicKey = Convert.ToBase64String(bundle.GodhCertificate),
                LaunchBlob = Convert.ToBase64String(bundle.SessionBlob),
                LaunchId = bundle.LaunchId.ToString(),
            };
        }));

    public override Task<SecretResponse> GetSecret(SecretRequest request, ServerCallContext context) =>
        Task.FromResult(Guard(() =>
        {
            var query = Edge("secret", context, request.Policy, request.LaunchId, () => KeyBrokerRequestParser.Secret(request));
            var secret = _broker.ReleaseSecret(new SecretRequestFacts(
                query.KeysetId, query.Policy, query.ApiMajor, query.ApiMinor, query.BuildId,
                ConnectionId: 0, query.LaunchMeasurement, context.Peer)
            {
                LaunchId = query.LaunchId,
                FwDigest = query.FwDigest,
                Entries = query.Entries,
            });
            return new SecretResponse
            {
                LaunchSecretHeader = Convert.ToBase64String(secret.Header),
                LaunchSecretData = Convert.ToBase64String(secret.Data),
            };
        }));

    public override Task<OnlineSecretResponse> GetOnlineSecret(OnlineSecretRequest request, ServerCallContext context) =>
        Task.FromResult(Guard(() => Edge<OnlineSecretResponse>("online-secret", context, null, null,
            () => throw new LaunchDeniedException(KeyBrokerDenials.OnlineSecretUnsupported))));

    /// <summary>Wire-level validation: the broker never sees these requests, so their refusals are audited here.</summary>
    private T Edge<T>(string auditEvent, ServerCallContext context, uint? policy, string? launchId, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (LaunchDeniedException ex)
        {
            AuditEdgeDenial(auditEvent, context, policy, launchId, ex.Reason);
            throw;
        }
    }

    private T Guard<T>(Func<T> call) => RpcStatusMapper.Guard(call, _logger, "keybroker");

    private void AuditEdgeDenial(string auditEvent, ServerCallContext context, uint? policy, string? launchId, DenialReason reason)
    {
        _audit.WriteSafely(new AuditRecord
        {
            Time = _time.GetUtcNow(), Event = auditEvent, Decision = "denied", Reason = reason.Code, Detail = reason.Detail,
            Peer = context.Peer, Protocol = ProtocolName, Policy = policy is { } p ? LaunchBroker.PolicyText(p) : null,
            LaunchId = launchId is { Length: > 0 and <= 64 } ? Logging.ClientText.Quote(launchId) : null,
        }, _logger);
        _logger.LogWarning("Keybroker {Event} refused ({Reason}): {Detail}; peer {Peer}", auditEvent, reason.Code, reason.Detail, context.Peer);
    }
}
