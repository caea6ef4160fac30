using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Logging;
using GuestOwnerProxy.Server.Policy;
using GuestOwnerProxy.Server.Sessions;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Broker;

/// <summary>
/// The secret half of a launch, independent of the wire: check the keyset rules in the original order,
/// take the session, verify the measurement against the keyset's digests under the formulas that may apply,
/// and release the keyset's keys in a LAUNCH_SECRET packet exactly once. Returns a decision; every decision
/// is audited. Any unexpected failure denies (INTERNAL).
/// </summary>
public sealed class SecretReleaser
{
    private readonly BrokerDependencies _broker;
    private readonly ILogger<SecretReleaser> _logger;

    public SecretReleaser(BrokerDependencies broker, ILogger<SecretReleaser> logger)
    {
        _broker = broker;
        _logger = logger;
    }

    public async ValueTask<BrokerDecision<LaunchSecret>> ReleaseAsync(SecretRequestFacts request)
    {
        var configuration = _broker.Configuration.Current;
        var audit = _broker.Recorder.Start(AuditEvent.Secret, request.Protocol, request.Peer).WithPolicy(request.Policy) with
        {
            ConnectionId = request.Session.ConnectionId, LaunchId = request.Session.LaunchId?.ToString(),
            Keyset = ClientText.Quote(request.KeysetId), ApiMajor = request.ApiMajor, ApiMinor = request.ApiMinor,
            BuildId = request.BuildId, ConfigVersion = configuration.Version,
        };
        var attempt = new Attempt(audit);
        try
        {
            var decision = await ReleaseCoreAsync(configuration, request, attempt);
            if (decision.Denial is { } denial)
            {
                _broker.Recorder.Write(attempt.Audit.DeniedFor(denial));
                if (_broker.Recorder.ShouldLogDenial(request.Protocol, AuditEvent.Secret, denial))
                    _logger.LogWarning("Secret denied ({Reason}): {Detail}; session {Session}, keyset {Keyset}, peer {Peer}",
                        denial.Code, denial.Detail, request.Session, ClientText.Quote(request.KeysetId), request.Peer);
                return decision;
            }
            var released = attempt.Audit.Granted(AuditDecision.Released);
            _broker.Recorder.Write(released);
            _logger.LogInformation(
                "Secret released ({Protocol}): connection {ConnectionId}, launch id {LaunchId}, keyset {Keyset}, {Platform}, chip {ChipId}, matched {Matched}, formula {Formula}, peer {Peer}",
                released.Protocol, released.ConnectionId, released.LaunchId, ClientText.Quote(request.KeysetId), released.Platform, released.ChipId ?? "(unverified)",
                released.Matched ?? "(unverified: --unsafe)", released.Formula ?? "-", request.Peer);
            return decision;
        }
        catch (SessionStoreException ex)
        {
            // Fail closed: a store that cannot be read or written releases nothing.
            _broker.Recorder.Write(attempt.Audit.DeniedFor(ex.Reason));
            _logger.LogError("Secret denied ({Reason}): session store failed: {Cause}; session {Session}, keyset {Keyset}, peer {Peer}",
                ex.Reason.Code, ex.Message, request.Session, ClientText.Quote(request.KeysetId), request.Peer);
            return BrokerDecision<LaunchSecret>.Denied(ex.Reason);
        }
        catch (Exception ex)
        {
            _broker.Recorder.Write(attempt.Audit.DeniedFor(DenialReason.InternalError));
            // Type only: a message may quote request bytes.
            _logger.LogError("Secret request failed unexpectedly ({ExceptionType}); session {Session}, keyset {Keyset}; denied",
                ex.GetType().Name, request.Session, ClientText.Quote(request.KeysetId));
            return BrokerDecision<LaunchSecret>.Denied(DenialReason.InternalError);
        }
    }

    /// <summary>The audit record as the facts of one request are established.</summary>
    private sealed class Attempt(AuditRecord audit)
    {
        public AuditRecord Audit { get; set; } = audit;
    }

    private static BrokerDecision<LaunchSecret> Deny(DenialReason reason) => BrokerDecision<LaunchSecret>.Denied(reason);

    private async ValueTask<BrokerDecision<LaunchSecret>> ReleaseCoreAsync(BrokerConfiguration configuration, SecretRequestFacts request, Attempt attempt)
    {
        // The original order: keyset, policy, API major, API minor, build, connection id, measurement.
        if (!configuration.Keysets.TryGetValue(request.KeysetId, out var keyset))
            return Deny(DenialReason.KeysetInvalid);
        if (KeysetPolicy.Check(keyset.Definition, request) is { } denied)
            return Deny(denied);
        var entries = request.Entries ?? [new SecretEntryRequest(keyset.Definition.SecretGuid, SecretEntryKind.KeysetBundle, keyset.Id, SecretEntryFormat.Json)];
        foreach (var entry in entries)
        {
            if (entry.Kind == SecretEntryKind.KeysetBundle && entry.Id != keyset.Id)
                return Deny(DenialReason.KeysetInvalid.With($"bundle entry names keyset '{ClientText.Quote(entry.Id)}', the request is for '{keyset.Id}'"));
            if (entry.Kind == SecretEntryKind.Key && !keyset.Definition.AllowedKeys.Contains(entry.Id))
                return Deny(DenialReason.KeyNotInKeyset.With($"'{ClientText.Quote(entry.Id)}' is not in keyset '{keyset.Id}'"));
        }

        var lease = await _broker.Sessions.TryAcquireAsync(request.Session);
        if (lease is null)
            return Deny(request.Protocol == BrokerProtocol.Setup ? DenialReason.ConnectionIdInvalid : DenialReason.LaunchIdUnknown);
        await using (lease)
        {
            var session = lease.Session;
            attempt.Audit = attempt.Audit.OnPlatform(session.Platform) with
            {
                ConnectionId = session.ConnectionId, LaunchId = session.LaunchId.ToString(), ChipId = session.Identity.ChipId,
                ChainVerified = session.Identity.ChainVerified, Root = session.Identity.RootName,
            };

            // Trust changed since the bundle (a root or an intermediate removed): the chain must still verify.
            if (Revoked(configuration, session) is { } revoked)
            {
                // It will not verify again under this trust: close it rather than verify the chain on every retry.
                await lease.CloseAsync();
                return Deny(revoked);
            }

            // The firmware measured with the policy the session blob carried; a different claim is a lie or a mix-up.
            if (request.Policy != session.Launch.Policy)
                return Deny(DenialReason.PolicyMismatch);
            if (!keyset.Definition.AppliesTo(session.Platform))
                return Deny(DenialReason.KeysetPlatformMismatch);
            if (keyset.Definition.AllowedChips.Count > 0
                && (session.Identity.ChipId is null || !keyset.Definition.AllowedChips.Contains(session.Identity.ChipId)))
                return Deny(DenialReason.ChipNotAllowed);

            if (request.LaunchMeasurement.Length != LaunchMeasurement.Size)
            {
                await lease.RecordFailedAttemptAsync();
                return Deny(DenialReason.MeasurementMalformed.With($"got {request.LaunchMeasurement.Length}"));
            }

            var crypto = _broker.Platforms.For(session.Platform).Crypto;
            byte[] measure;
            int areaSize = SecretTable.DefaultAreaSize;
            if (configuration.Unsafe)
            {
                _logger.LogCritical("UNSAFE MODE: measurement of session {Session} NOT verified before releasing keyset {Keyset}",
                    request.Session, ClientText.Quote(request.KeysetId));
                measure = request.LaunchMeasurement[..LaunchMeasurement.MeasureSize];
                attempt.Audit = attempt.Audit with { MeasurementVerified = false, BuildIdVerified = false };
            }
            else
            {
                // An ES launch (policy bit 0x4, the policy the session blob carried) is measured over VMSA pages: only
                // ES digests are candidates for it, and only plain digests for any other launch.
                var expected = keyset.DigestsFor(session.Platform, session.Launch.Policy);
                if (request.FwDigest is { } claimed)
                {
                    // The host computed it: it may only narrow the candidates, never add one.
                    expected = expected.Where(e => CryptographicOperations.FixedTimeEquals(e.Candidate.Digest, claimed)).ToList();
                    if (expected.Count == 0)
                        return Deny(DenialReason.FwDigestNotAllowed.With($"keyset '{keyset.Id}', {PlatformNames.Of(session.Platform)}"));
                }
                var parameters = new MeasurementParameters(request.ApiMajor, request.ApiMinor, request.BuildId, session.Launch.Policy);
                var match = MeasurementVerifier.Verify(
                    crypto, session.Launch.Tik, request.LaunchMeasurement, parameters,
                    expected.Select(e => e.Candidate), keyset.Definition.FormulasFor(session.Platform));
                if (match is null)
                {
                    bool gone = await lease.RecordFailedAttemptAsync();
                    return Deny(gone
                        ? DenialReason.MeasurementInvalid.With("too many failed attempts, session closed")
                        : DenialReason.MeasurementInvalid);
                }
                // The build rule was checked against the host's claim; it holds only if the formula that matched covers it.
                bool buildCovered = MeasurementFormulas.CoversBuildId(match.Formula, request.BuildId);
                if (!buildCovered && !keyset.Definition.AcceptsUnmeasuredBuildUnder(match.Formula))
                {
                    await lease.RecordFailedAttemptAsync();
                    return Deny(DenialReason.BuildIdNotMeasuredBy(MeasurementFormulas.Name(match.Formula)));
                }
                measure = match.Measure;
                areaSize = (int)(expected.First(e => e.Candidate.Name == match.CandidateName).SecretAreaSize ?? (uint)SecretTable.DefaultAreaSize);
                attempt.Audit = attempt.Audit with
                {
                    Matched = match.CandidateName, Digest = Convert.ToHexStringLower(match.Digest),
                    Formula = MeasurementFormulas.Name(match.Formula),
                    MeasurementVerified = true, BuildIdVerified = buildCovered,
                };
            }

            var packet = BuildPacket(configuration, keyset, entries, crypto, session, measure, areaSize);
            if (packet.Denial is not null)
                return packet;
            await lease.CompleteAsync();
            return packet;
        }
    }

    /// <summary>Null when the session's chain holds under the trust in force; otherwise why not.</summary>
    private DenialReason? Revoked(BrokerConfiguration configuration, LiveSession session)
    {
        if (session.Identity.TrustVersion == configuration.TrustVersion || configuration.Trust.SkipVerification)
            return null;
        try
        {
            // Cached per trust instance: one verification per host after a trust change, not one per VM.
            var result = _broker.Chains.Verify(_broker.Platforms.For(session.Platform), session.Identity.Evidence, configuration.Trust.Trust).Chain;
            return result.ChipId == session.Identity.ChipId || session.Identity.ChipId is null
                ? null
                : DenialReason.ChainRevoked.With("the chain now names another chip");
        }
        catch (Exception ex) when (ex is ChainVerificationException or CryptoFormatException)
        {
            return DenialReason.ChainRevoked.With(ex.Message);
        }
    }

    private BrokerDecision<LaunchSecret> BuildPacket(BrokerConfiguration configuration, Keyset keyset, IReadOnlyList<SecretEntryRequest> entries,
        ILaunchCrypto crypto, LiveSession session, byte[] measure, int areaSize)
    {
        var payloads = new List<byte[]>(entries.Count);
        var table = new SecretTable();
        byte[]? plaintext = null;
        try
        {
            foreach (var entry in entries)
            {
                var payload = entry.Kind == SecretEntryKind.KeysetBundle
                    ? configuration.BuildKeyBundle(keyset)
                    : configuration.BuildKey(entry.Id, entry.Format == SecretEntryFormat.Binary);
                payloads.Add(payload);
                table.Add(entry.Guid, payload);
            }
            // Only keybroker requests choose their entries; refuse a table the guest's area cannot hold (the session stays).
            if (table.PaddedLength > areaSize)
                return Deny(DenialReason.SecretRequestInvalid.With(
                    $"the requested secrets need a {table.PaddedLength}-byte table, the guest's secret area holds {areaSize}"));
            plaintext = table.Build(areaSize);
            // Fresh random IV from the injected source (the OS CSPRNG in production).
            var packet = SecretPacket.Create(crypto, session.Launch.Tek, session.Launch.Tik, measure, plaintext, _broker.Random);
            return BrokerDecision<LaunchSecret>.Granted(new LaunchSecret(packet.Header, packet.Data));
        }
        finally
        {
            foreach (var payload in payloads)
                CryptographicOperations.ZeroMemory(payload);
            if (plaintext is not null)
                CryptographicOperations.ZeroMemory(plaintext);
            table.Clear();
        }
    }
}
