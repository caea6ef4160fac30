using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.KeyBroker;
using GuestOwnerProxy.Server.Logging;
using GuestOwnerProxy.Server.Policy;
using GuestOwnerProxy.Server.Sessions;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Services;

/// <summary>
/// The guest owner's side of a launch, independent of gRPC: verify the platform and open a session
/// (bundle), then check the keyset rules and the measurement and release the keyset's keys exactly
/// once (secret). Every decision is audited. Refusals are <see cref="LaunchDeniedException"/>; any
/// unexpected failure denies with <see cref="DenialReason.InternalError"/>.
/// </summary>
public sealed class LaunchBroker
{
    private const int PlatformCertificateSize = 2084;

    private readonly IBrokerConfigurationSource _configuration;
    private readonly ISessionStore _sessions;
    private readonly IAuditLog _audit;
    private readonly IRandomSource _random;
    private readonly TimeProvider _time;
    private readonly ILogger<LaunchBroker> _logger;
    private readonly IReadOnlyList<IPlatformProfile> _profiles;
    // A host presents the same chain for every VM; verify it once per configuration version.
    private readonly ChainVerificationCache _chains = new();

    public LaunchBroker(
        IBrokerConfigurationSource configuration,
        ISessionStore sessions,
        IAuditLog audit,
        IRandomSource random,
        TimeProvider time,
        ILogger<LaunchBroker> logger,
        IEnumerable<IPlatformProfile> profiles)
    {
        _configuration = configuration;
        _sessions = sessions;
        _audit = audit;
        _random = random;
        _time = time;
        _logger = logger;
        _profiles = profiles.ToList();
    }

    public LaunchBundle IssueBundle(BundleRequestFacts request)
    {
        var audit = new AuditRecord
        {
            Time = _time.GetUtcNow(), Event = "bundle", Decision = "denied", Peer = request.Peer,
            Policy = PolicyText(request.Policy), Protocol = request.Protocol,
        };
        try
        {
            var (bundle, identity) = IssueBundleCore(request, ref audit);
            _audit.WriteSafely(audit with
            {
                Decision = "issued", ConnectionId = bundle.ConnectionId, LaunchId = bundle.LaunchId.ToString(),
                Platform = PlatformName(bundle.Platform),
                ChipId = identity.ChipId, ChainVerified = identity.ChainVerified, Root = identity.RootName,
            }, _logger);
            _logger.LogInformation(
                "Bundle issued ({Protocol}): connection {ConnectionId}, launch id {LaunchId}, {Platform}, chip {ChipId}, root {Root}, policy {Policy}, peer {Peer}",
                request.Protocol, bundle.ConnectionId, bundle.LaunchId, bundle.Platform, identity.ChipId ?? "(unverified)", identity.RootName ?? "(none)",
                PolicyText(request.Policy), request.Peer);
            return bundle;
        }
        catch (LaunchDeniedException ex)
        {
            _audit.WriteSafely(audit with { Reason = ex.Reason.Code, Detail = ex.Reason.Detail }, _logger);
            _logger.LogWarning("Bundle denied ({Reason}): {Detail}; peer {Peer}", ex.Reason.Code, ex.Reason.Detail, request.Peer);
            throw;
        }
        catch (Exception ex)
        {
            _audit.WriteSafely(audit with { Reason = DenialReason.InternalError.Code, Detail = DenialReason.InternalError.Detail }, _logger);
            // Type only, as RpcStatusMapper.Guard: a message may quote request bytes.
            _logger.LogError("Bundle failed unexpectedly ({ExceptionType}); peer {Peer}; denied", ex.GetType().Name, request.Peer);
            throw new LaunchDeniedException(DenialReason.InternalError, ex);
        }
    }

    private (LaunchBundle, PlatformIdentity) IssueBundleCore(BundleRequestFacts request, ref AuditRecord audit)
    {
        var pdh = request.PlatformPublicKey;
        var chain = request.CertificateChain;
        // A full export (sevctl --full) carries the PDH at its head and may come without a separate PDH.
        var probe = pdh.Length > 0 ? pdh : chain[..Math.Min(chain.Length, PlatformCertificateSize)];
        if (probe.Length == 0)
            throw new LaunchDeniedException(DenialReason.PlatformKeyMissing);
        var profile = _profiles.FirstOrDefault(p => p.Recognizes(probe))
            ?? throw new LaunchDeniedException(DenialReason.PlatformUnrecognized.With(
                probe.Length == PlatformCertificateSize
                    ? "unknown algorithm/curve"
                    : $"{probe.Length} bytes, a PDH certificate has {PlatformCertificateSize}"));
        audit = audit with { Platform = PlatformName(profile.Kind) };

        var configuration = _configuration.Current;
        var evidence = new PlatformEvidence(pdh, chain);
        PlatformIdentity identity;
        if (configuration.Trust.SkipVerification)
        {
            _logger.LogCritical(
                "Certificate chain NOT verified for peer {Peer} (GuestOwnerProxy:Trust:SkipVerification is on): the TEK/TIK may go to an impostor",
                request.Peer);
            identity = new PlatformIdentity(profile.Kind, null, null, ChainVerified: false);
        }
        else
        {
            var result = CertificateStep(() => _chains.Verify(profile, evidence, configuration.Trust.Trust));
            identity = new PlatformIdentity(profile.Kind, result.ChipId, result.RootName, ChainVerified: true);
        }
        audit = audit with { ChipId = identity.ChipId, ChainVerified = identity.ChainVerified, Root = identity.RootName };

        var selectedPdh = CertificateStep(() => profile.SelectPdh(evidence));
        var launch = CertificateStep(() => profile.CreateSession(selectedPdh, request.Policy, _random));
        try
        {
            var session = _sessions.Add(launch, identity, request.Peer);
            return (new LaunchBundle(session.ConnectionId, profile.Kind, launch.GodhCertificate, launch.SessionBlob, session.LaunchId), identity);
        }
        catch (SessionStoreFullException ex)
        {
            launch.Dispose();
            throw new LaunchDeniedException(DenialReason.TooManySessions, ex);
        }
        catch
        {
            launch.Dispose();
            throw;
        }
    }

    public LaunchSecret ReleaseSecret(SecretRequestFacts request)
    {
        var configuration = _configuration.Current;
        var audit = new AuditRecord
        {
            Time = _time.GetUtcNow(), Event = "secret", Decision = "denied", Peer = request.Peer,
            ConnectionId = request.LaunchId is null ? request.ConnectionId : null, LaunchId = request.LaunchId?.ToString(),
            Protocol = request.Protocol, Keyset = ClientText.Quote(request.KeysetId), ApiMajor = request.ApiMajor,
            ApiMinor = request.ApiMinor, BuildId = request.BuildId, Policy = PolicyText(request.Policy),
            ConfigVersion = configuration.Version,
        };
        try
        {
            var (secret, released) = ReleaseSecretCore(configuration, request, ref audit);
            _audit.WriteSafely(released, _logger);
            _logger.LogInformation(
                "Secret released ({Protocol}): connection {ConnectionId}, launch id {LaunchId}, keyset {Keyset}, {Platform}, chip {ChipId}, matched {Matched}, formula {Formula}, peer {Peer}",
                request.Protocol, released.ConnectionId, released.LaunchId, ClientText.Quote(request.KeysetId), released.Platform, released.ChipId ?? "(unverified)",
                released.Matched ?? "(unverified: --unsafe)", released.Formula ?? "-", request.Peer);
            return secret;
        }
        catch (LaunchDeniedException ex)
        {
            _audit.WriteSafely(audit with { Reason = ex.Reason.Code, Detail = ex.Reason.Detail }, _logger);
            _logger.LogWarning("Secret denied ({Reason}): {Detail}; session {Session}, keyset {Keyset}, peer {Peer}",
                ex.Reason.Code, ex.Reason.Detail, SessionName(request), ClientText.Quote(request.KeysetId), request.Peer);
            throw;
        }
        catch (Exception ex)
        {
            _audit.WriteSafely(audit with { Reason = DenialReason.InternalError.Code, Detail = DenialReason.InternalError.Detail }, _logger);
            // Type only, as RpcStatusMapper.Guard: a message may quote request bytes.
            _logger.LogError("Secret request failed unexpectedly ({ExceptionType}); connection {ConnectionId}, keyset {Keyset}; denied",
                ex.GetType().Name, SessionName(request), ClientText.Quote(request.KeysetId));
            throw new LaunchDeniedException(DenialReason.InternalError, ex);
        }
    }

    private (LaunchSecret, AuditRecord) ReleaseSecretCore(BrokerConfiguration configuration, SecretRequestFacts request, ref AuditRecord audit)
    {
        // The original order: keyset, policy, API major, API minor, build, connection id, measurement.
        if (!configuration.Keysets.TryGetValue(request.KeysetId, out var keyset))
            throw new LaunchDeniedException(DenialReason.KeysetInvalid);
        if (KeysetPolicy.Check(keyset.Definition, request) is { } denied)
            throw new LaunchDeniedException(denied);
        var entries = request.Entries ?? [new SecretEntryRequest(keyset.Definition.SecretGuid, SecretEntryKind.KeysetBundle, keyset.Id, SecretEntryFormat.Json)];
        foreach (var entry in entries)
        {
            if (entry.Kind == SecretEntryKind.KeysetBundle && entry.Id != keyset.Id)
                throw new LaunchDeniedException(DenialReason.KeysetInvalid.With($"bundle entry names keyset '{ClientText.Quote(entry.Id)}', the request is for '{keyset.Id}'"));
            if (entry.Kind == SecretEntryKind.Key && !keyset.Definition.AllowedKeys.Contains(entry.Id))
                throw new LaunchDeniedException(DenialReason.KeyNotInKeyset.With($"'{ClientText.Quote(entry.Id)}' is not in keyset '{keyset.Id}'"));
        }

        using var lease = (request.LaunchId is { } launchId ? _sessions.TryAcquire(launchId) : _sessions.TryAcquire(request.ConnectionId))
            ?? throw new LaunchDeniedException(request.LaunchId is null ? DenialReason.ConnectionIdInvalid : DenialReason.LaunchIdUnknown);
        var session = lease.Session;
        audit = audit with
        {
            ConnectionId = session.ConnectionId, LaunchId = session.LaunchId.ToString(),
            Platform = PlatformName(session.Platform), ChipId = session.Identity.ChipId,
            ChainVerified = session.Identity.ChainVerified, Root = session.Identity.RootName,
        };

        // The firmware measured with the policy the session blob carried; a different claim is a lie or a mix-up.
        if (request.Policy != session.Launch.Policy)
            throw new LaunchDeniedException(DenialReason.PolicyMismatch);
        if (!keyset.Definition.AppliesTo(session.Platform))
            throw new LaunchDeniedException(DenialReason.KeysetPlatformMismatch);
        if (keyset.Definition.AllowedChips.Count > 0
            && (session.Identity.ChipId is null || !keyset.Definition.AllowedChips.Contains(session.Identity.ChipId)))
            throw new LaunchDeniedException(DenialReason.ChipNotAllowed);

        if (request.LaunchMeasurement.Length != LaunchMeasurement.Size)
        {
            lease.RecordFailedAttempt();
            throw new LaunchDeniedException(DenialReason.MeasurementMalformed.With($"got {request.LaunchMeasurement.Length}"));
        }

        var crypto = LaunchCrypto.For(session.Platform);
        byte[] measure;
        int areaSize = SecretTable.DefaultAreaSize;
        if (configuration.Unsafe)
        {
            _logger.LogCritical("UNSAFE MODE: measurement of connection {ConnectionId} NOT verified before releasing keyset {Keyset}",
                SessionName(request), ClientText.Quote(request.KeysetId));
            measure = request.LaunchMeasurement[..LaunchMeasurement.MeasureSize];
            audit = audit with { MeasurementVerified = false, BuildIdVerified = false };
        }
        else
        {
            var expected = keyset.DigestsFor(session.Platform);
            if (request.FwDigest is { } claimed)
            {
                // The host computed it: it may only narrow the candidates, never add one.
                expected = expected.Where(e => CryptographicOperations.FixedTimeEquals(e.Candidate.Digest, claimed)).ToList();
                if (expected.Count == 0)
                    throw new LaunchDeniedException(DenialReason.FwDigestNotAllowed.With($"keyset '{keyset.Id}', {PlatformName(session.Platform)}"));
            }
            var parameters = new MeasurementParameters(request.ApiMajor, request.ApiMinor, request.BuildId, session.Launch.Policy);
            var match = MeasurementVerifier.Verify(
                crypto, session.Launch.Tik, request.LaunchMeasurement, parameters,
                expected.Select(e => e.Candidate), keyset.Definition.FormulasFor(session.Platform));
            if (match is null)
            {
                bool gone = lease.RecordFailedAttempt();
                throw new LaunchDeniedException(gone
                    ? DenialReason.MeasurementInvalid.With("too many failed attempts, session closed")
                    : DenialReason.MeasurementInvalid);
            }
            // The build rule was checked against the host's claim; it holds only if the formula that matched covers it.
            bool buildCovered = MeasurementFormulas.CoversBuildId(match.Formula, request.BuildId);
            if (!buildCovered && !keyset.Definition.AcceptsUnmeasuredBuildUnder(match.Formula))
            {
                lease.RecordFailedAttempt();
                throw new LaunchDeniedException(DenialReason.BuildIdNotMeasuredBy(MeasurementFormulas.Name(match.Formula)));
            }
            measure = match.Measure;
            areaSize = (int)(expected.First(e => e.Candidate.Name == match.CandidateName).SecretAreaSize ?? (uint)SecretTable.DefaultAreaSize);
            audit = audit with
            {
                Matched = match.CandidateName, Digest = Convert.ToHexStringLower(match.Digest),
                Formula = MeasurementFormulas.Name(match.Formula),
                MeasurementVerified = true, BuildIdVerified = buildCovered,
            };
        }

        var packet = BuildPacket(configuration, keyset, entries, crypto, session, measure, areaSize);
        lease.Complete();
        return (new LaunchSecret(packet.Header, packet.Data), audit with { Decision = "released" });
    }

    private SecretPacket BuildPacket(BrokerConfiguration configuration, Keyset keyset, IReadOnlyList<SecretEntryRequest> entries,
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
                throw new LaunchDeniedException(KeyBrokerDenials.SecretRequestInvalid.With(
                    $"the requested secrets need a {table.PaddedLength}-byte table, the guest's secret area holds {areaSize}"));
            plaintext = table.Build(areaSize);
            // Fresh random IV from the injected source (the OS CSPRNG in production).
            return SecretPacket.Create(crypto, session.Launch.Tek, session.Launch.Tik, measure, plaintext, _random);
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

    private static T CertificateStep<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (ChainVerificationException ex)
        {
            throw new LaunchDeniedException(DenialReason.ChainInvalid.With(ex.Message), ex);
        }
        catch (CryptoFormatException ex)
        {
            throw new LaunchDeniedException(DenialReason.CertificateInvalid.With(ex.Message), ex);
        }
    }

    // Connection id (Setup) or launch id (keybroker), for log lines.
    private static string SessionName(SecretRequestFacts request) =>
        request.LaunchId?.ToString() ?? request.ConnectionId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string PlatformName(PlatformKind platform) => platform == PlatformKind.Csv ? "csv" : "sev";

    public static string PolicyText(uint policy) => $"0x{policy:x8}";
}
