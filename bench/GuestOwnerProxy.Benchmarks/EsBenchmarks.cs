using BenchmarkDotNet.Attributes;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Benchmarks;

/// <summary>
/// SEV-ES/CSV2 costs: precomputing a keyset image's digests for a 1–64 vCPU range over a 4 MiB OVMF (what a load
/// or reload pays), and verifying one measurement against 1, 8 or 64 candidate digests with the match first or last
/// (what a secret request pays: linear in the candidates, independent of where the match is).
/// </summary>
[MemoryDiagnoser]
public class EsBenchmarks
{
    private string _ovmf = "";
    private ILaunchCrypto _crypto = null!;
    private byte[] _tik = [];
    private byte[] _measurement = [];
    private DigestCandidate[] _candidates = [];
    private MeasurementParameters _parameters;

    [Params(PlatformKind.Csv, PlatformKind.Sev)]
    public PlatformKind Platform { get; set; }

    [Params(1, 8, 64)]
    public int Candidates { get; set; }

    [Params(true, false)]
    public bool MatchFirst { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _crypto = PlatformRegistry.Default.For(Platform).Crypto;
        _ovmf = EsOvmf.Write("gop-bench-es");

        var platform = SimulatedFixtures.Create(Platform);
        var profile = PlatformRegistry.Default.For(Platform);
        const uint policy = GuestPolicyBits.Es;
        using var session = profile.CreateSession(profile.SelectPdh(SimulatedFixtures.EvidenceOf(platform)), policy, SystemRandomSource.Instance);
        using var launch = platform.LaunchStart(session.GodhCertificate, session.SessionBlob, policy);
        launch.UpdateData(new byte[4096]);
        launch.UpdateVmsa(new byte[VmsaPage.Size]);
        _measurement = launch.Measure();
        _tik = session.Tik.ToArray();
        var v = platform.Version;
        _parameters = new MeasurementParameters(v.ApiMajor, v.ApiMinor, v.BuildId, policy);
        _candidates = Enumerable.Range(0, Candidates).Select(i => new DigestCandidate($"other {i}", Enumerable.Repeat((byte)i, 32).ToArray())).ToArray();
        _candidates[MatchFirst ? 0 : Candidates - 1] = new DigestCandidate("image", launch.LaunchDigest);
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_ovmf);

    [Benchmark(Description = "verify one measurement against the candidate set (all formulas of the platform)")]
    public MeasurementMatch? VerifyMeasurement() =>
        MeasurementVerifier.Verify(_crypto, _tik, _measurement, _parameters, _candidates, MeasurementFormulas.DefaultsFor(Platform));
}

/// <summary>The load-time cost of an ES image with a 1–64 vCPU range over a 4 MiB OVMF: one pass plus 64 pages and clones.</summary>
[MemoryDiagnoser]
public class EsDigestPrecomputeBenchmarks
{
    private string _ovmf = "";
    private ILaunchCrypto _crypto = null!;
    private static readonly int[] Range = Enumerable.Range(1, 64).ToArray();

    [Params(PlatformKind.Csv, PlatformKind.Sev)]
    public PlatformKind Platform { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _crypto = PlatformRegistry.Default.For(Platform).Crypto;
        _ovmf = EsOvmf.Write("gop-bench-es-pre");
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_ovmf);

    [Benchmark(Description = "ES digests for vcpus 1-64 over a 4 MiB OVMF (one pass, hash cloned per count)")]
    public EsLaunchDigestResult Precompute1To64() =>
        LaunchDigest.ComputeEs(_crypto, new LaunchImage(_ovmf), new EsVcpuModel(0x800f12, VmsaLayout.Init2), Range);

    [Benchmark(Description = "plain digest over the same 4 MiB OVMF (the one pass alone)")]
    public LaunchDigestResult PlainDigest() => LaunchDigest.Compute(_crypto, new LaunchImage(_ovmf));
}

/// <summary>The benchmarks' ES firmware: 4 MiB of filler ending in the demo OVMF's footer (kernel hashes area, secret
/// area, SEV-ES reset block), written to a temporary file the caller deletes.</summary>
internal static class EsOvmf
{
    public static string Write(string name)
    {
        var demo = File.ReadAllBytes(SimulatedFixtures.DemoOvmf);
        var image = new byte[4 << 20];
        new Random(13).NextBytes(image);
        demo.AsSpan(demo.Length - 4096).CopyTo(image.AsSpan(image.Length - 4096));
        var path = Path.Combine(Path.GetTempPath(), $"{name}-{Environment.ProcessId}.fd");
        File.WriteAllBytes(path, image);
        return path;
    }
}
