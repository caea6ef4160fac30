using BenchmarkDotNet.Attributes;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Benchmarks;

/// <summary>LAUNCH_START inputs for a simulator PDH: CSV = SM2 key generation, SM2 encryption of the master
/// secret and an SM2 signature (BouncyCastle); SEV = P-384 key generation and ECDH (.NET over OpenSSL).</summary>
[MemoryDiagnoser]
public class SessionBenchmarks
{
    private byte[] _pdh = [];
    private PdhKey _imported = null!;
    private IPlatformProfile _profile = null!;

    [Params(PlatformKind.Csv, PlatformKind.Sev)]
    public PlatformKind Platform { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var platform = SimulatedFixtures.Create(Platform);
        _profile = PlatformRegistry.Default.For(Platform);
        _pdh = _profile.SelectPdh(SimulatedFixtures.EvidenceOf(platform));
        _imported = _profile.ImportPdh(_pdh);
    }

    [Benchmark(Description = "CreateSession (GODH + session blob)")]
    public byte[] CreateSession()
    {
        using var session = _profile.CreateSession(_pdh, SimulatedFixtures.Policy, SystemRandomSource.Instance);
        return session.SessionBlob;
    }

    /// <summary>What the server does for a host it has seen: the PDH comes imported from the chain cache.</summary>
    [Benchmark(Description = "CreateSession, PDH imported once (the server's path)")]
    public byte[] CreateSessionImported()
    {
        using var session = _profile.CreateSession(_imported, SimulatedFixtures.Policy, SystemRandomSource.Instance);
        return session.SessionBlob;
    }
}
