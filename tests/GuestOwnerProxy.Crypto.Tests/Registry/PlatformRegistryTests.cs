using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Tests.RoundTrip;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Crypto.Tests.Registry;

/// <summary>The one place that tells which platform evidence belongs to and how an exported chain file splits.</summary>
public sealed class PlatformRegistryTests
{
    private static readonly PlatformRegistry Registry = PlatformRegistry.Default;

    private static ISoftwarePlatform Platform(PlatformKind kind) => kind == PlatformKind.Csv ? SimulatedPlatforms.CsvDefault : SimulatedPlatforms.Sev;

    [Theory]
    [InlineData(PlatformKind.Csv)]
    [InlineData(PlatformKind.Sev)]
    public void Evidence_is_recognised_by_its_pdh_or_by_the_head_of_a_full_export(PlatformKind kind)
    {
        var platform = Platform(kind);
        Assert.Equal(kind, Registry.Recognize(new PlatformEvidence(platform.PdhCertificate, platform.CertificateChain)).Kind);
        Assert.Equal(kind, Registry.Recognize(new PlatformEvidence([], platform.FullChain)).Kind);
        Assert.Same(Registry.For(kind), Registry.TryRecognize(platform.PdhCertificate));
        Assert.Equal(PlatformNames.Of(kind), Registry.For(kind).Name);
    }

    [Fact]
    public void Unrecognised_evidence_says_why()
    {
        var none = Assert.Throws<PlatformNotRecognizedException>(() => Registry.Recognize(new PlatformEvidence([], [])));
        Assert.Equal(PlatformRecognitionFailure.NoCertificate, none.Failure);

        var size = Assert.Throws<PlatformNotRecognizedException>(() => Registry.Recognize(new PlatformEvidence(new byte[100], [])));
        Assert.Equal((PlatformRecognitionFailure.WrongSize, "100 bytes, a PDH certificate has 2084"), (size.Failure, size.Message));

        var algorithm = Assert.Throws<PlatformNotRecognizedException>(() => Registry.Recognize(new PlatformEvidence(new byte[2084], [])));
        Assert.Equal((PlatformRecognitionFailure.UnknownAlgorithm, "unknown algorithm/curve"), (algorithm.Failure, algorithm.Message));
    }

    [Theory]
    [InlineData(PlatformKind.Csv, "PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK")]
    [InlineData(PlatformKind.Sev, "PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK")]
    public void Export_files_split_into_pdh_and_chain(PlatformKind kind, string fullLayout)
    {
        var platform = Platform(kind);
        var full = Registry.SplitExport(platform.FullChain);
        Assert.Equal(fullLayout, full.Layout);
        Assert.Equal(platform.PdhCertificate, full.Evidence.PdhCertificate);
        Assert.Equal(platform.FullChain, full.Evidence.CertificateChain);

        byte[] shortFile = [.. platform.PdhCertificate, .. platform.CertificateChain];
        var split = Registry.SplitExport(shortFile);
        Assert.Equal("PDH ‖ PEK ‖ OCA ‖ CEK", split.Layout);
        Assert.Equal(platform.CertificateChain, split.Evidence.CertificateChain);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(2084 * 3)]
    public void Export_files_of_another_size_are_invalid_certificates_naming_the_field(int size)
    {
        var ex = Assert.Throws<InvalidCertificateException>(() => Registry.SplitExport(new byte[size]));
        Assert.StartsWith("CertificateChain: ", ex.Message);
    }

    [Fact]
    public void The_certificate_size_is_one_fact_for_both_vendors() =>
        Assert.Equal(Crypto.Sev.SevCertificateLayout.Size, PlatformEvidence.CertificateSize);
}
