using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Platform.Tests;

public class DeterminismTests
{
    [Theory]
    [InlineData(PlatformKind.Csv)]
    [InlineData(PlatformKind.Sev)]
    // Same seed as SoftwareSevPlatformCertificateTests: seeded RSA keys are cached per process, and are
    // checked for determinism on their own in SeededRsaGeneration_IsDeterministic.
    public void SameSeed_GivesByteIdenticalCertificates(PlatformKind kind)
    {
        var a = SoftwarePlatform.Create(kind, new SoftwarePlatformOptions { Seed = "sev certificate tests"u8.ToArray() });
        var b = SoftwarePlatform.Create(kind, new SoftwarePlatformOptions { Seed = "sev certificate tests"u8.ToArray() });
        Assert.Equal(a.FullChain, b.FullChain);
        Assert.Equal(a.Intermediate, b.Intermediate);
        Assert.Equal(a.RootFingerprint, b.RootFingerprint);
    }

    [Theory]
    [InlineData(PlatformKind.Csv)]
    [InlineData(PlatformKind.Sev)]
    public void OtherSeedOrNoSeed_GivesOtherKeys(PlatformKind kind)
    {
        var a = SoftwarePlatform.Create(kind, new SoftwarePlatformOptions { Seed = "sev certificate tests"u8.ToArray() });
        var b = SoftwarePlatform.Create(kind, new SoftwarePlatformOptions { Seed = "sev certificate tests!"u8.ToArray() });
        var c = SoftwarePlatform.Create(kind);
        Assert.NotEqual(a.RootFingerprint, b.RootFingerprint);
        Assert.NotEqual(a.RootFingerprint, c.RootFingerprint);
        Assert.NotEqual(a.PdhCertificate, b.PdhCertificate);
    }

    [Fact]
    public void SeededRsaGeneration_IsDeterministic()
    {
        // The platform caches seeded RSA keys, so check the generator itself (1024 bits to stay fast).
        static string Modulus(string seed) => GuestOwnerProxy.Platform.Sev.SimRsaKeys.Generate(1024,
                new SimulatorSecureRandom(new DeterministicRandomSource(System.Text.Encoding.ASCII.GetBytes(seed), "rsa")))
            .Public is Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters k ? k.Modulus.ToString(16) : "";
        Assert.Equal(Modulus("a"), Modulus("a"));
        Assert.NotEqual(Modulus("a"), Modulus("b"));
    }

    [Fact]
    public void DevelopmentRoots_HaveTheFingerprintsConfiguredForDevelopment()
    {
        // Pinned: servers configured for the demo trust these roots. A change here (DRBG, key labels,
        // certificate layout, BouncyCastle key generation) must be a deliberate, documented one.
        var options = new SoftwarePlatformOptions { Seed = SoftwareCsvPlatform.DevelopmentSeed };
        Assert.Equal("0d02e70d089b8896e7652187a5d95b2201bdf0608ecf5d72f37faebea5616834", SoftwareCsvPlatform.Create(options).RootFingerprint);
        Assert.Equal("2c9134255388b6a80489dc44575c6cf6c705b774163a0c45fcbeaebd9acabce1", SoftwareSevPlatform.Create(options).RootFingerprint);
    }

    [Fact]
    public void DevelopmentSeed_IsTheDocumentedAsciiString()
    {
        Assert.Equal("GuestOwnerProxy development simulator"u8.ToArray(), SoftwareCsvPlatform.DevelopmentSeed);
        Assert.Equal(SoftwareCsvPlatform.DevelopmentSeed, SoftwareSevPlatform.DevelopmentSeed);
    }

    [Fact]
    public void DeterministicRandomSource_DependsOnSeedAndLabelOnly()
    {
        byte[] Draw(string seed, string label, params int[] chunks)
        {
            var source = new DeterministicRandomSource(System.Text.Encoding.ASCII.GetBytes(seed), label);
            var all = new List<byte>();
            foreach (int n in chunks)
            {
                var buffer = new byte[n];
                source.Fill(buffer);
                all.AddRange(buffer);
            }
            return all.ToArray();
        }
        // Chunking must not change the stream.
        Assert.Equal(Draw("s", "x", 100), Draw("s", "x", 1, 31, 33, 35));
        Assert.NotEqual(Draw("s", "x", 32), Draw("s", "y", 32));
        Assert.NotEqual(Draw("s", "x", 32), Draw("t", "x", 32));
    }
}
