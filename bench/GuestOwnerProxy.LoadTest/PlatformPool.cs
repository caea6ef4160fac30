using System.Diagnostics;
using Google.Protobuf;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.LoadTest;

/// <summary>A simulated platform and the request bytes it sends (exported once: the properties copy).</summary>
public sealed record PooledPlatform(ISoftwarePlatform Platform, ByteString Pdh, ByteString CertificateChain);

/// <summary>
/// Simulated firmware made up front (key generation is the slow part), all from the development seed,
/// so they share the roots the server trusts. Platforms are immutable; launches on one platform are
/// independent objects, so workers share a platform round-robin.
/// </summary>
public sealed class PlatformPool
{
    private readonly Dictionary<PlatformKind, PooledPlatform[]> _platforms;

    private PlatformPool(Dictionary<PlatformKind, PooledPlatform[]> platforms, TimeSpan creationTime)
    {
        _platforms = platforms;
        CreationTime = creationTime;
    }

    public TimeSpan CreationTime { get; }

    public static async Task<PlatformPool> CreateAsync(IReadOnlyList<PlatformKind> kinds, int size)
    {
        var watch = Stopwatch.StartNew();
        var tasks = kinds.ToDictionary(k => k, k => Enumerable.Range(0, size).Select(_ => Task.Run(() =>
        {
            var platform = SoftwarePlatform.Create(k, new SoftwarePlatformOptions { Seed = SoftwarePlatformSeeds.DevelopmentSeed });
            return new PooledPlatform(platform, ByteString.CopyFrom(platform.PdhCertificate), ByteString.CopyFrom(platform.CertificateChain));
        })).ToArray());
        var result = new Dictionary<PlatformKind, PooledPlatform[]>();
        foreach (var (kind, pending) in tasks)
            result[kind] = await Task.WhenAll(pending);
        return new PlatformPool(result, watch.Elapsed);
    }

    /// <summary>Worker <paramref name="worker"/>'s platform: kinds alternate between workers, then round-robin within a kind.</summary>
    public PooledPlatform For(int worker, IReadOnlyList<PlatformKind> kinds)
    {
        var kind = kinds[worker % kinds.Count];
        var pool = _platforms[kind];
        return pool[worker / kinds.Count % pool.Length];
    }

    public string RootFingerprint(PlatformKind kind) => _platforms[kind][0].Platform.RootFingerprint;
}
