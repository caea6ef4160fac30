using System.Text;
using Google.Protobuf;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.KeyBroker;
using GuestOwnerProxy.Server.Policy;
using GuestOwnerProxy.Server.Sessions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using KB = GuestOwnerProxy.Protocol.KeyBroker;
using Setup = GuestOwnerProxy.Protocol.Setup;

namespace GuestOwnerProxy.Fuzz;

/// <summary>
/// The broker without a host, as tests/GuestOwnerProxy.Server.Tests/Broker/BrokerUnderTest.cs wires it: the real
/// configuration loader (keysets.json, keys.json and the simulator's trust files in a temporary folder), the real
/// session store, registry and issuer/releaser. Each input gets a fresh store, so one input cannot fill it for the next.
/// <para>
/// Secret requests need a live session: before each one the rig obtains a real bundle for the simulator's
/// PDH, starts the simulated launch with it and measures <see cref="Image"/>. Fields the fuzzer cannot guess are
/// filled in when the input leaves them empty: Setup connection id 0 and keybroker LaunchId "" name that session,
/// an empty LaunchMeasurement is the firmware's real measurement. A granted secret is injected into the simulated
/// guest, which must accept it.
/// </para>
/// </summary>
public sealed class BrokerRig
{
    public const string Peer = "ipv4:127.0.0.1:1";
    public const string KeysetCsv = "FUZZ-CSV";
    public const string KeysetSev = "FUZZ-SEV";
    public const string KeyId1 = "key_id1";
    public const string KeyId2 = "key_id2";

    /// <summary>The "guest image" whose launch digest the keysets allow.</summary>
    public static readonly byte[] Image = Encoding.ASCII.GetBytes("GuestOwnerProxy fuzz image: not an OVMF, only launch data");

    private static readonly Lazy<BrokerRig> Lazy = new(() => new BrokerRig());
    public static BrokerRig Instance => Lazy.Value;

    private readonly BrokerConfiguration _configuration;
    private readonly ServerSettings _settings;

    private BrokerRig()
    {
        var dir = Path.Combine(Path.GetTempPath(), "gop-fuzz-broker-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        Simulator.Csv.WriteTrustFiles(Path.Combine(dir, "csv"));
        Simulator.Sev.WriteTrustFiles(Path.Combine(dir, "sev"));
        Digests = new Dictionary<PlatformKind, byte[]>
        {
            [PlatformKind.Csv] = DigestOf(PlatformKind.Csv),
            [PlatformKind.Sev] = DigestOf(PlatformKind.Sev),
        };
        File.WriteAllText(Path.Combine(dir, "keysets.json"), KeysetsJson(Digests));
        File.WriteAllText(Path.Combine(dir, "keys.json"),
            $$"""{ "{{KeyId1}}": "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=", "{{KeyId2}}": "bXkgb3RoZXIgZXhhbXBsZSBrZXkgLSBub3QgYSBzZWNyZXQ=" }""");
        var options = new GuestOwnerProxyOptions
        {
            KeysetsFile = Path.Combine(dir, "keysets.json"),
            KeysFile = Path.Combine(dir, "keys.json"),
            AuditLog = null,
            Trust = new TrustOptions
            {
                RootFiles = [Path.Combine(dir, "csv/hrk.cert"), Path.Combine(dir, "sev/ark.cert")],
                IntermediateFiles = [Path.Combine(dir, "csv/hsk_cek.cert"), Path.Combine(dir, "sev/ask.cert")],
                ExtraRootFingerprints = [Simulator.Csv.RootFingerprint, Simulator.Sev.RootFingerprint],
            },
        };
        _configuration = new BrokerConfigurationLoader().Load(options).Configuration;
        _settings = new ServerSettings(new ConfigurationBuilder().Build(), options, NullLogger<ServerSettings>.Instance);
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Launch digest of <see cref="Image"/> on each platform (SM3 on CSV, SHA-256 on SEV).</summary>
    public IReadOnlyDictionary<PlatformKind, byte[]> Digests { get; }

    public static string KeysetsJson(IReadOnlyDictionary<PlatformKind, byte[]> digests) => $$"""
        {
          "{{KeysetCsv}}": {
            "platform": "csv",
            "allowed_digests": ["{{Convert.ToBase64String(digests[PlatformKind.Csv])}}"],
            "allowed_keys": ["{{KeyId1}}", "{{KeyId2}}"],
            "allowed-policies": [0, 1],
            "min-api-major": 1,
            "min-api-minor": 0,
            "min-build-id": 1600,
            "measurement-variants": ["csv-no-build", "csv-build32"]
          },
          "{{KeysetSev}}": {
            "platform": "sev",
            "allowed_digests": ["{{Convert.ToBase64String(digests[PlatformKind.Sev])}}"],
            "allowed_keys": ["{{KeyId1}}"],
            "allowed-policies": [0],
            "min-api-major": 0,
            "min-api-minor": 0,
            "allowed-build-ids": [15]
          }
        }
        """;

    private static byte[] DigestOf(PlatformKind kind)
    {
        var platform = Simulator.For(kind);
        var profile = PlatformRegistry.Default.For(kind);
        using var session = profile.CreateSession(profile.SelectPdh(new PlatformEvidence(platform.PdhCertificate, platform.CertificateChain)),
            0, SystemRandomSource.Instance);
        using var launch = platform.LaunchStart(session.GodhCertificate, session.SessionBlob, 0);
        launch.UpdateData(Image);
        launch.Measure();
        return launch.LaunchDigest;
    }

    // Shared by every input, as the server shares it across requests: a chain verified once is not verified again.
    private readonly Crypto.Certificates.ChainVerificationCache _chains = new();

    /// <summary>One request's broker: fresh session store, recorder and issuer/releaser over the shared configuration.</summary>
    private sealed class Broker : IDisposable
    {
        public Broker(BrokerRig rig)
        {
            Sessions = new InMemorySessionStore(rig._settings, TimeProvider.System, NullLogger<InMemorySessionStore>.Instance);
            Recorder = new DecisionRecorder(new NullAuditLog(), TimeProvider.System, NullLogger<DecisionRecorder>.Instance);
            var dependencies = new BrokerDependencies(new FixedConfiguration(rig._configuration), Sessions, PlatformRegistry.Default,
                SystemRandomSource.Instance, Recorder, rig._chains);
            Issuer = new BundleIssuer(dependencies, IssuerLog);
            Releaser = new SecretReleaser(dependencies, ReleaserLog);
        }

        public InMemorySessionStore Sessions { get; }
        public DecisionRecorder Recorder { get; }
        public BundleIssuer Issuer { get; }
        public SecretReleaser Releaser { get; }
        public ErrorCapture<BundleIssuer> IssuerLog { get; } = new();
        public ErrorCapture<SecretReleaser> ReleaserLog { get; } = new();

        public void Dispose() => Sessions.Dispose();
    }

    private sealed class FixedConfiguration(BrokerConfiguration current) : IBrokerConfigurationSource
    {
        public BrokerConfiguration Current => current;
    }

    /// <summary>Keeps what the broker logged at Error level: the exception type behind an INTERNAL_ERROR.</summary>
    private sealed class ErrorCapture<T> : ILogger<T>
    {
        public List<string> Errors { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
                Errors.Add(formatter(state, exception) + (exception is null ? "" : " " + exception));
        }
    }

    private static PlatformKind PlatformOf(byte selector) => (selector & 2) == 0 ? PlatformKind.Csv : PlatformKind.Sev;

    /// <summary>byte 0: bit 0 = BundleRequest (0) or SecretRequest (1), bit 1 = CSV (0) or SEV (1) session; rest = protobuf.</summary>
    public void Setup(byte[] data)
    {
        var (selector, payload) = Harnesses.Select(data);
        if ((selector & 1) == 0)
        {
            Setup.BundleRequest request;
            try { request = Protocol.Setup.BundleRequest.Parser.ParseFrom(payload); }
            catch (InvalidProtocolBufferException) { return; }
            using var broker = new Broker(this);
            var decision = Wait(broker.Issuer.IssueAsync(new BundleRequestFacts(
                request.PlatformPublicKey.ToByteArray(), request.CertificateChain.ToByteArray(), unchecked((uint)request.Policy),
                Peer, BrokerProtocol.Setup)));
            Check(decision.Denial, broker.IssuerLog.Errors, "Setup bundle");
            if (decision.Value is { } bundle)
                CheckBundle(bundle);
        }
        else
        {
            Setup.SecretRequest request;
            try { request = Protocol.Setup.SecretRequest.Parser.ParseFrom(payload); }
            catch (InvalidProtocolBufferException) { return; }
            using var broker = new Broker(this);
            var kind = PlatformOf(selector);
            var (bundle, launch, measurement) = LiveSession(broker, kind, BrokerProtocol.Setup);
            using (launch)
            {
                var decision = Wait(broker.Releaser.ReleaseAsync(new SecretRequestFacts(
                    SessionHandle.ForConnection(request.ConnectionId == 0 ? bundle.ConnectionId : request.ConnectionId),
                    request.KeysetId,
                    unchecked((uint)request.Policy),
                    request.ApiMajor,
                    request.ApiMinor,
                    unchecked((uint)request.BuildId),
                    request.LaunchMeasurement.IsEmpty ? measurement : request.LaunchMeasurement.ToByteArray(),
                    Peer)));
                Check(decision.Denial, broker.ReleaserLog.Errors, "Setup secret");
                if (decision.Value is { } secret)
                    Inject(launch, secret, "Setup secret");
            }
        }
    }

    /// <summary>byte 0 as for <see cref="Setup"/>; the keybroker wire validation (<see cref="KeyBrokerRequestParser"/>) runs first, as in the service.</summary>
    public void KeyBroker(byte[] data)
    {
        var (selector, payload) = Harnesses.Select(data);
        if ((selector & 1) == 0)
        {
            KB.BundleRequest request;
            try { request = KB.BundleRequest.Parser.ParseFrom(payload); }
            catch (InvalidProtocolBufferException) { return; }
            using var broker = new Broker(this);
            byte[] chain;
            try
            {
                chain = KeyBrokerRequestParser.CertificateChain(request);
            }
            catch (LaunchDeniedException ex)
            {
                var refused = broker.Recorder.RefuseAtEdge<KB.BundleResponse>(AuditEvent.Bundle, BrokerProtocol.KeyBroker, Peer, ex.Reason, request.Policy);
                Check(refused.Denial, [], "keybroker bundle (edge)");
                return;
            }
            var decision = Wait(broker.Issuer.IssueAsync(new BundleRequestFacts([], chain, request.Policy, Peer,
                BrokerProtocol.KeyBroker, ChainIsExportFile: true)));
            Check(decision.Denial, broker.IssuerLog.Errors, "keybroker bundle");
            if (decision.Value is { } bundle)
                CheckBundle(bundle);
        }
        else
        {
            KB.SecretRequest request;
            try { request = KB.SecretRequest.Parser.ParseFrom(payload); }
            catch (InvalidProtocolBufferException) { return; }
            using var broker = new Broker(this);
            var kind = PlatformOf(selector);
            var (bundle, launch, measurement) = LiveSession(broker, kind, BrokerProtocol.KeyBroker);
            using (launch)
            {
                if (request.LaunchId.Length == 0)
                    request.LaunchId = bundle.LaunchId.ToString();
                if (request.LaunchMeasurement.Length == 0)
                    request.LaunchMeasurement = Convert.ToBase64String(measurement);
                KeyBrokerSecretQuery query;
                try
                {
                    query = KeyBrokerRequestParser.Secret(request);
                }
                catch (LaunchDeniedException ex)
                {
                    var refused = broker.Recorder.RefuseAtEdge<KB.SecretResponse>(AuditEvent.Secret, BrokerProtocol.KeyBroker, Peer, ex.Reason,
                        request.Policy, request.LaunchId);
                    Check(refused.Denial, [], "keybroker secret (edge)");
                    return;
                }
                var decision = Wait(broker.Releaser.ReleaseAsync(new SecretRequestFacts(
                    SessionHandle.ForLaunch(query.LaunchId), query.KeysetId, query.Policy, query.ApiMajor, query.ApiMinor, query.BuildId,
                    query.LaunchMeasurement, Peer)
                {
                    FwDigest = query.FwDigest,
                    Entries = query.Entries,
                }));
                Check(decision.Denial, broker.ReleaserLog.Errors, "keybroker secret");
                if (decision.Value is { } secret)
                    Inject(launch, secret, "keybroker secret");
            }
        }
    }

    /// <summary>A real bundle for the simulator's PDH (policy 0), the simulated launch started with it, and its measurement.</summary>
    private (LaunchBundle Bundle, ISoftwareLaunch Launch, byte[] Measurement) LiveSession(Broker broker, PlatformKind kind, BrokerProtocol protocol)
    {
        var platform = Simulator.For(kind);
        var facts = protocol == BrokerProtocol.Setup
            ? new BundleRequestFacts(platform.PdhCertificate, platform.CertificateChain, 0, Peer, protocol)
            : new BundleRequestFacts([], platform.FullChain, 0, Peer, protocol, ChainIsExportFile: true);
        var decision = Wait(broker.Issuer.IssueAsync(facts));
        var bundle = decision.Value ?? throw new InvalidOperationException(
            $"fuzz rig: the simulator's own {kind} bundle was denied ({decision.Denial}); {string.Join("; ", broker.IssuerLog.Errors)}");
        var launch = platform.LaunchStart(bundle.GodhCertificate, bundle.SessionBlob, 0);
        launch.UpdateData(Image);
        return (bundle, launch, launch.Measure());
    }

    private static void CheckBundle(LaunchBundle bundle)
    {
        if (bundle.GodhCertificate.Length != PlatformEvidence.CertificateSize || bundle.SessionBlob.Length == 0)
            throw new FuzzFinding($"granted bundle with a {bundle.GodhCertificate.Length}-byte GODH and a {bundle.SessionBlob.Length}-byte session blob");
    }

    private static void Inject(ISoftwareLaunch launch, LaunchSecret secret, string what)
    {
        try
        {
            launch.InjectSecret(secret.Header, secret.Data);
        }
        catch (FirmwareException ex)
        {
            throw new FuzzFinding($"{what}: the simulated firmware refused the granted secret: {ex.Error}: {ex.Message}");
        }
    }

    /// <summary>A denial is a decision; INTERNAL_ERROR means an exception was swallowed inside the broker: a finding.</summary>
    private static readonly bool Verbose = Environment.GetEnvironmentVariable("GOP_FUZZ_VERBOSE") == "1";

    private static void Check(DenialReason? denial, List<string> errors, string what)
    {
        if (Verbose)
            Console.Error.WriteLine($"{what}: {(denial is null ? "granted" : $"denied {denial.Code}: {denial.Detail}")}");
        if (denial is not null && denial.Code == DenialReason.InternalError.Code)
            throw new FuzzFinding($"{what}: INTERNAL_ERROR ({string.Join("; ", errors)})");
    }

    private static T Wait<T>(ValueTask<T> task) => task.IsCompletedSuccessfully ? task.Result : task.AsTask().GetAwaiter().GetResult();
}
