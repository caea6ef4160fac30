using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

public class ChainVerificationCacheTests
{
    private sealed class CountingProfile(IPlatformProfile inner) : IPlatformProfile
    {
        public int Verifications;
        public int Imports;
        public PlatformKind Kind => inner.Kind;
        public ILaunchCrypto Crypto => inner.Crypto;
        public bool Recognizes(ReadOnlySpan<byte> c) => inner.Recognizes(c);
        public byte[] SelectPdh(PlatformEvidence e) => inner.SelectPdh(e);
        public GuestOwnerProxy.Crypto.Launch.LaunchSession CreateSession(ReadOnlySpan<byte> pdh, uint policy, IRandomSource random) =>
            inner.CreateSession(pdh, policy, random);
        public GuestOwnerProxy.Crypto.Launch.LaunchSession CreateSession(PdhKey pdh, uint policy, IRandomSource random) =>
            inner.CreateSession(pdh, policy, random);
        public PdhKey ImportPdh(ReadOnlySpan<byte> pdh)
        {
            Interlocked.Increment(ref Imports);
            return inner.ImportPdh(pdh);
        }
        public ChainVerificationResult VerifyChain(PlatformEvidence e, PlatformTrust t)
        {
            Interlocked.Increment(ref Verifications);
            return inner.VerifyChain(e, t);
        }
    }

    [Fact]
    public void SameEvidenceAndTrustIsVerifiedOnceButFailuresAndNewTrustAreNot()
    {
        var platform = SimulatedPlatforms.CsvDefault;
        var profile = new CountingProfile(CsvPlatformProfile.Instance);
        var cache = new ChainVerificationCache();
        var trust = new PlatformTrust { RootCertificates = [platform.RootCertificate], ExtraRootFingerprints = [platform.RootFingerprint], Intermediates = [platform.Intermediate] };
        var evidence = new PlatformEvidence(platform.PdhCertificate, platform.CertificateChain);

        var first = cache.Verify(profile, evidence, trust);
        var second = cache.Verify(profile, new PlatformEvidence((byte[])platform.PdhCertificate.Clone(), (byte[])platform.CertificateChain.Clone()), trust);
        Assert.Same(first, second);
        Assert.Equal(1, profile.Verifications);
        // The PDH is imported with the verification and reused: a session built on the cached key works.
        Assert.Equal(1, profile.Imports);
        using (var session = profile.CreateSession(second.Pdh, 0, SystemRandomSource.Instance))
            Assert.Equal(PlatformKind.Csv, session.Platform);

        // Another PDH under the same chain is new evidence, and its failure is not remembered.
        var forged = new PlatformEvidence(SimulatedPlatforms.OtherCsv.PdhCertificate, platform.CertificateChain);
        Assert.Throws<ChainVerificationException>(() => cache.Verify(profile, forged, trust));
        Assert.Throws<ChainVerificationException>(() => cache.Verify(profile, forged, trust));
        Assert.Equal(3, profile.Verifications);

        // A reloaded configuration (a new trust object) verifies again, and can now refuse.
        Assert.Throws<ChainVerificationException>(() => cache.Verify(profile, evidence, PlatformTrust.BuiltInOnly));
        Assert.Equal(4, profile.Verifications);
    }
}
