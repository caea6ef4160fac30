using BenchmarkDotNet.Attributes;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Benchmarks;

/// <summary>Bulk SM3/SHA-256 and SM4/AES-128-CTR over 16 KiB, the block size <c>openssl speed</c> reports last.</summary>
[MemoryDiagnoser]
public class SymmetricThroughputBenchmarks
{
    private const int Size = 16 * 1024;
    private readonly byte[] _input = new byte[Size];
    private readonly byte[] _output = new byte[Size];
    private readonly byte[] _key = new byte[16];
    private readonly byte[] _iv = new byte[16];

    [Params(PlatformKind.Csv, PlatformKind.Sev)]
    public PlatformKind Platform { get; set; }

    [GlobalSetup]
    public void Setup() => new Random(5).NextBytes(_input);

    [Benchmark(Description = "digest 16 KiB (SM3 / SHA-256)")]
    public byte[] Digest16K()
    {
        using var hash = PlatformRegistry.Default.For(Platform).Crypto.CreateDigest();
        hash.Append(_input);
        return hash.Finish();
    }

    [Benchmark(Description = "CTR 16 KiB (SM4 / AES-128)")]
    public byte[] Ctr16K()
    {
        PlatformRegistry.Default.For(Platform).Crypto.CtrTransform(_key, _iv, _input, _output);
        return _output;
    }
}
