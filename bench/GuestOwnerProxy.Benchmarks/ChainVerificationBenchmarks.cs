using BenchmarkDotNet.Attributes;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Benchmarks;

/// <summary>
/// Full chain verification of a simulator export, as the broker does per request. CSV: 7 SM2 verifications
/// (HRK self, HRK->HSK, HSK->CEK, CEK->PEK, OCA self, OCA->PEK, PEK->PDH). SEV: 3 RSA-PSS (ARK self, ARK->ASK,
/// ASK->CEK) and 4 ECDSA P-384 verifications; RSA-2048 is the Naples shape, RSA-4096 that of Rome and later.
/// </summary>
[MemoryDiagnoser]
public class ChainVerificationBenchmarks
{
    private IPlatformProfile _profile = null!;
    private PlatformEvidence _evidence = null!;
    private PlatformTrust _trust = null!;

    [Params("csv", "sev-rsa2048", "sev-rsa4096")]
    public string Chain { get; set; } = "csv";

    [GlobalSetup]
    public void Setup()
    {
        var kind = Chain == "csv" ? PlatformKind.Csv : PlatformKind.Sev;
        var platform = SimulatedFixtures.Create(kind, rsa4096: Chain == "sev-rsa4096");
        _profile = PlatformRegistry.Default.For(kind);
        _evidence = SimulatedFixtures.EvidenceOf(platform);
        _trust = SimulatedFixtures.TrustFor(platform);
    }

    [Benchmark(Description = "VerifyChain (PDH <- PEK <- OCA, CEK <- intermediate <- root)")]
    public ChainVerificationResult VerifyChain() => _profile.VerifyChain(_evidence, _trust);
}
