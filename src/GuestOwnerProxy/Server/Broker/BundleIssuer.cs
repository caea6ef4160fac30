using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Policy;
using GuestOwnerProxy.Server.Sessions;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Broker;

/// <summary>
/// The bundle half of a launch, independent of the wire: recognise the platform, verify its chain to a
/// pinned root (once per host and configuration version), create the GODH and session blob and open a
/// session. Returns a decision; every decision is audited. Any unexpected failure denies (INTERNAL).
/// </summary>
public sealed class BundleIssuer
{
    private readonly BrokerDependencies _broker;
    private readonly ILogger<BundleIssuer> _logger;

    public BundleIssuer(BrokerDependencies broker, ILogger<BundleIssuer> logger)
    {
        _broker = broker;
        _logger = logger;
    }

    public async ValueTask<BrokerDecision<LaunchBundle>> IssueAsync(BundleRequestFacts request)
    {
        var audit = _broker.Recorder.Start(AuditEvent.Bundle, request.Protocol, request.Peer).WithPolicy(request.Policy);
        try
        {
            var (outcome, record) = await IssueCoreAsync(request, audit);
            audit = record;
            if (outcome.Denial is { } denial)
                return Denied(request, audit, denial);
            var bundle = outcome.Value!;
            _broker.Recorder.Write(audit.Granted(AuditDecision.Issued) with { ConnectionId = bundle.ConnectionId, LaunchId = bundle.LaunchId.ToString() });
            _logger.LogInformation(
                "Bundle issued ({Protocol}): connection {ConnectionId}, launch id {LaunchId}, {Platform}, chip {ChipId}, root {Root}, policy {Policy}, peer {Peer}",
                AuditNames.Of(request.Protocol), bundle.ConnectionId, bundle.LaunchId, bundle.Platform, audit.ChipId ?? "(unverified)", audit.Root ?? "(none)",
                AuditNames.Policy(request.Policy), request.Peer);
            return outcome;
        }
        catch (Exception ex)
        {
            // Type only: a message may quote request bytes.
            _logger.LogError("Bundle failed unexpectedly ({ExceptionType}); peer {Peer}; denied", ex.GetType().Name, request.Peer);
            return Denied(request, audit, DenialReason.InternalError);
        }
    }

    private BrokerDecision<LaunchBundle> Denied(BundleRequestFacts request, AuditRecord audit, DenialReason reason)
    {
        _broker.Recorder.Write(audit.DeniedFor(reason));
        if (_broker.Recorder.ShouldLogDenial(request.Protocol, AuditEvent.Bundle, reason))
            _logger.LogWarning("Bundle denied ({Reason}): {Detail}; peer {Peer}", reason.Code, reason.Detail, request.Peer);
        return BrokerDecision<LaunchBundle>.Denied(reason);
    }

    private async ValueTask<(BrokerDecision<LaunchBundle>, AuditRecord)> IssueCoreAsync(BundleRequestFacts request, AuditRecord audit)
    {
        PlatformEvidence evidence;
        IPlatformProfile profile;
        try
        {
            evidence = request.ChainIsExportFile
                ? _broker.Platforms.SplitExport(request.Chain).Evidence
                : new PlatformEvidence(request.Pdh, request.Chain);
            profile = _broker.Platforms.Recognize(evidence);
        }
        catch (PlatformNotRecognizedException ex)
        {
            return (BrokerDecision<LaunchBundle>.Denied(ex.Failure == PlatformRecognitionFailure.NoCertificate
                ? DenialReason.PlatformKeyMissing
                : DenialReason.PlatformUnrecognized.With(ex.Message)), audit);
        }
        catch (CryptoFormatException ex)
        {
            return (BrokerDecision<LaunchBundle>.Denied(DenialReason.CertificateInvalid.With(ex.Message)), audit);
        }
        audit = audit.OnPlatform(profile.Kind);

        var configuration = _broker.Configuration.Current;
        PlatformIdentity identity;
        PdhKey pdh;
        if (configuration.Trust.SkipVerification)
        {
            _logger.LogCritical(
                "Certificate chain NOT verified for peer {Peer} (GuestOwnerProxy:Trust:SkipVerification is on): the TEK/TIK may go to an impostor",
                request.Peer);
            identity = new PlatformIdentity(profile.Kind, null, null, ChainVerified: false, configuration.TrustVersion, evidence);
            audit = audit with { ChipId = identity.ChipId, ChainVerified = identity.ChainVerified, Root = identity.RootName };
            var imported = CertificateStep(() => profile.ImportPdh(profile.SelectPdh(evidence)));
            if (imported.Denial is { } pdhDenial)
                return (BrokerDecision<LaunchBundle>.Denied(pdhDenial), audit);
            pdh = imported.Value!;
        }
        else
        {
            // The cache keeps the PDH imported beside the verified chain: a known host's launch skips both.
            var verified = CertificateStep(() => _broker.Chains.Verify(profile, evidence, configuration.Trust.Trust));
            if (verified.Denial is { } chainDenial)
                return (BrokerDecision<LaunchBundle>.Denied(chainDenial), audit);
            var result = verified.Value!.Chain;
            pdh = verified.Value!.Pdh;
            identity = new PlatformIdentity(profile.Kind, result.ChipId, result.RootName, ChainVerified: true, configuration.TrustVersion, evidence);
            audit = audit with { ChipId = identity.ChipId, ChainVerified = identity.ChainVerified, Root = identity.RootName };
        }

        var created = CertificateStep(() => profile.CreateSession(pdh, request.Policy, _broker.Random));
        if (created.Denial is { } sessionDenial)
            return (BrokerDecision<LaunchBundle>.Denied(sessionDenial), audit);
        var launch = created.Value!;
        try
        {
            var session = await _broker.Sessions.AddAsync(launch, identity, request.Peer, request.Client);
            return (BrokerDecision<LaunchBundle>.Granted(
                new LaunchBundle(session.ConnectionId, session.LaunchId, profile.Kind, launch.GodhCertificate, launch.SessionBlob)), audit);
        }
        catch (SessionStoreFullException ex)
        {
            launch.Dispose();
            return (BrokerDecision<LaunchBundle>.Denied(ex.Limit == SessionLimit.PerClient
                ? DenialReason.ClientQuotaExceeded
                : DenialReason.TooManySessions), audit);
        }
        catch (SessionStoreException ex)
        {
            launch.Dispose();
            // The cause (Redis's own words) is for the operator's log; the client gets the reason.
            _logger.LogError("Session store failed for a bundle ({Reason}): {Cause}; peer {Peer}", ex.Reason.Code, ex.Message, request.Peer);
            return (BrokerDecision<LaunchBundle>.Denied(ex.Reason), audit);
        }
        catch
        {
            launch.Dispose();
            throw;
        }
    }

    /// <summary>A certificate step's refusals: a chain link that does not verify, or bytes that do not parse.</summary>
    private static BrokerDecision<T> CertificateStep<T>(Func<T> step) where T : class
    {
        try
        {
            return BrokerDecision<T>.Granted(step());
        }
        catch (ChainVerificationException ex)
        {
            return BrokerDecision<T>.Denied(DenialReason.ChainInvalid.With(ex.Message));
        }
        catch (CryptoFormatException ex)
        {
            return BrokerDecision<T>.Denied(DenialReason.CertificateInvalid.With(ex.Message));
        }
    }
}
