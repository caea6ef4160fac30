using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Certificates;

/// <summary>
/// Remembers successful chain verifications. A host exports the same PDH and chain for every VM it
/// launches, and verifying a CSV chain costs seven SM2 verifications (most of a launch's CPU), so a
/// fleet of launches from one host should pay for it once.
/// Verification is a pure function of the evidence bytes and the trust, so the key is SHA-256 of the
/// exact PDH and chain bytes, scoped to one <see cref="PlatformTrust"/> instance: a configuration reload
/// builds a new trust object and thereby starts from an empty cache. Failures are never cached.
/// Each entry also keeps the PDH imported (<see cref="PdhKey"/>): parsed, its point checked once, ready for the key
/// agreement, so a launch from a known host costs its session's own crypto and nothing more.
/// </summary>
public sealed class ChainVerificationCache
{
    private readonly ConditionalWeakTable<PlatformTrust, ConcurrentDictionary<CacheKey, VerifiedEvidence>> _byTrust = new();
    private readonly int _capacity;
    private long _hits;
    private long _misses;

    public ChainVerificationCache(int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Verifications answered from the cache since start (the server's metrics read these; no metrics dependency here).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Verifications that ran the chain check (a first sight, a new trust, or a chain that failed, which is never cached).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>The chain verified under <paramref name="trust"/> and the PDH imported; throws as
    /// <see cref="IPlatformProfile.VerifyChain"/> and <see cref="IPlatformProfile.ImportPdh"/> do.</summary>
    public VerifiedEvidence Verify(IPlatformProfile profile, PlatformEvidence evidence, PlatformTrust trust)
    {
        var entries = _byTrust.GetValue(trust, _ => new ConcurrentDictionary<CacheKey, VerifiedEvidence>());
        var key = CacheKey.Of(profile.Kind, evidence);
        if (entries.TryGetValue(key, out var cached))
        {
            Interlocked.Increment(ref _hits);
            return cached;
        }

        Interlocked.Increment(ref _misses);
        var result = new VerifiedEvidence(profile.VerifyChain(evidence, trust), profile.ImportPdh(profile.SelectPdh(evidence)));
        // A bounded cache: when full, start over rather than track recency (hosts are few, churn is rare).
        if (entries.Count >= _capacity)
            entries.Clear();
        entries[key] = result;
        return result;
    }

    private readonly record struct CacheKey(PlatformKind Platform, string PdhHash, string ChainHash)
    {
        public static CacheKey Of(PlatformKind platform, PlatformEvidence evidence) => new(
            platform,
            Convert.ToHexString(SHA256.HashData(evidence.PdhCertificate ?? [])),
            Convert.ToHexString(SHA256.HashData(evidence.CertificateChain ?? [])));
    }
}

/// <summary>A chain that verified, and the PDH it certifies imported for sessions.</summary>
public sealed record VerifiedEvidence(ChainVerificationResult Chain, PdhKey Pdh);
