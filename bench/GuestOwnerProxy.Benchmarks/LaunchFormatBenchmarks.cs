using BenchmarkDotNet.Attributes;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Benchmarks;

/// <summary>The per-launch symmetric work of the guest owner, on both platforms, and digest throughput
/// over a 4 MiB firmware image (the size of an AmdSev/Hygon OVMF.fd).</summary>
[MemoryDiagnoser]
public class LaunchFormatBenchmarks
{
    private const int OvmfSize = 4 * 1024 * 1024;
    private byte[] _ovmf = [];
    private readonly byte[] _tek = new byte[16];
    private readonly byte[] _tik = new byte[16];
    private readonly byte[] _digest = new byte[32];
    private byte[] _measurement = [];
    private byte[] _table = [];
    private DigestCandidate[] _candidates = [];

    [Params(PlatformKind.Csv, PlatformKind.Sev)]
    public PlatformKind Platform { get; set; }

    private ILaunchCrypto Crypto => PlatformRegistry.Default.For(Platform).Crypto;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _ovmf = new byte[OvmfSize];
        rng.NextBytes(_ovmf);
        rng.NextBytes(_tek);
        rng.NextBytes(_tik);
        rng.NextBytes(_digest);
        var mnonce = new byte[16];
        rng.NextBytes(mnonce);
        var formula = MeasurementFormulas.DefaultsFor(Platform)[^1];
        var measure = LaunchMeasurement.ComputeMeasure(Crypto, formula, _tik, new MeasurementParameters(1, 2, 3, 0), _digest, mnonce);
        _measurement = [.. measure, .. mnonce];
        // Four allowed digests, the matching one last: the verifier does the same work whatever matches.
        _candidates = [.. Enumerable.Range(0, 3).Select(i => new DigestCandidate($"other{i}", new byte[32])), new DigestCandidate("image", _digest)];
        _table = new SecretTable().Add(KnownGuids.KeysetBundle, new byte[200]).Build();
    }

    [Benchmark(Description = "launch digest over 4 MiB OVMF")]
    public byte[] LaunchDigest4MiB() => LaunchDigest.Compute(Crypto, _ovmf);

    [Benchmark(Description = "measurement verification (4 digests x all formulas)")]
    public MeasurementMatch? VerifyMeasurement() => MeasurementVerifier.Verify(
        Crypto, _tik, _measurement, new MeasurementParameters(1, 2, 3, 0), _candidates, MeasurementFormulas.DefaultsFor(Platform));

    [Benchmark(Description = "secret packaging (table + CTR + MAC)")]
    public SecretPacket PackageSecret() => SecretPacket.Create(Crypto, _tek, _tik, _measurement.AsSpan(0, 32), _table, SystemRandomSource.Instance);
}
