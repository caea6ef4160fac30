using BenchmarkDotNet.Attributes;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Benchmarks;

/// <summary>
/// Everything the guest owner computes for one launch: verify the platform chain, create the session,
/// verify the measurement (3 candidate digests x every formula of the platform) and package the secret.
/// The firmware's side (the simulator's LAUNCH_START) is measured separately: it is not the proxy's cost,
/// but it bounds how fast the load test's simulated hosts can go.
/// </summary>
[MemoryDiagnoser]
public class PerLaunchBenchmarks
{
    private ISoftwarePlatform _platform = null!;
    private IPlatformProfile _profile = null!;
    private PlatformEvidence _evidence = null!;
    private PlatformTrust _trust = null!;
    private byte[] _measurement = [];
    private byte[] _godh = [], _blob = [];
    private DigestCandidate[] _candidates = [];
    private MeasurementParameters _parameters;
    private byte[] _table = [];

    [Params(PlatformKind.Csv, PlatformKind.Sev)]
    public PlatformKind Platform { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _platform = SimulatedFixtures.Create(Platform);
        _profile = PlatformRegistry.Default.For(Platform);
        _evidence = SimulatedFixtures.EvidenceOf(_platform);
        _trust = SimulatedFixtures.TrustFor(_platform);
        var v = _platform.Version;
        _parameters = new MeasurementParameters(v.ApiMajor, v.ApiMinor, v.BuildId, SimulatedFixtures.Policy);

        // A real measurement from the simulator; the verifier does the same work for any session's TIK.
        using var session = _profile.CreateSession(_profile.SelectPdh(_evidence), SimulatedFixtures.Policy, SystemRandomSource.Instance);
        (_godh, _blob) = (session.GodhCertificate, session.SessionBlob);
        using var launch = _platform.LaunchStart(_godh, _blob, SimulatedFixtures.Policy);
        var ovmf = new byte[64 * 1024];
        new Random(7).NextBytes(ovmf);
        launch.UpdateData(ovmf);
        _measurement = launch.Measure();
        _candidates =
        [
            new DigestCandidate("other-a", new byte[32]),
            new DigestCandidate("other-b", Enumerable.Repeat((byte)1, 32).ToArray()),
            new DigestCandidate("image", launch.LaunchDigest),
        ];
        _table = new SecretTable().Add(KnownGuids.KeysetBundle, new byte[200]).Build();
    }

    [Benchmark(Description = "guest owner per launch (chain + session + measurement + secret)")]
    public SecretPacket GuestOwnerPerLaunch()
    {
        _profile.VerifyChain(_evidence, _trust);
        using var session = _profile.CreateSession(_profile.SelectPdh(_evidence), SimulatedFixtures.Policy, SystemRandomSource.Instance);
        var match = MeasurementVerifier.Verify(_profile.Crypto, session.Tik, _measurement, _parameters, _candidates,
            MeasurementFormulas.DefaultsFor(Platform));
        // No match under this session's TIK (the measurement is from another session): package anyway,
        // with the measured value, so the cost equals that of a successful launch.
        return SecretPacket.Create(_profile.Crypto, session.Tek, session.Tik, match?.Measure ?? _measurement.AsSpan(0, 32),
            _table, SystemRandomSource.Instance);
    }

    [Benchmark(Description = "simulated firmware LAUNCH_START")]
    public uint FirmwareLaunchStart()
    {
        using var launch = _platform.LaunchStart(_godh, _blob, SimulatedFixtures.Policy);
        return launch.Policy;
    }
}
