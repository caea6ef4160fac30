using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;
using static GuestOwnerProxy.Crypto.Tests.RoundTrip.GuestOwnerSide;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>The file-based digest path on both platforms: an OVMF with kernel, initrd and cmdline measured through the hashes table.</summary>
public sealed class KernelHashesRoundTripTests
{
    [Theory]
    [InlineData(PlatformKind.Csv, 0x00010001u, MeasurementFormula.CsvNoBuild)]
    [InlineData(PlatformKind.Sev, 0x00000003u, MeasurementFormula.Sev)]
    public void A_launch_image_with_kernel_hashes_round_trips(PlatformKind kind, uint policy, MeasurementFormula formula)
    {
        using var files = new TempImage();
        var image = files.Image(kernelHashes: true);
        var profile = PlatformRegistry.Default.For(kind);
        ISoftwarePlatform platform = kind == PlatformKind.Csv ? SimulatedPlatforms.CsvDefault : SimulatedPlatforms.Sev;
        var pdh = kind == PlatformKind.Csv ? CsvRoundTripTests.VerifiedPdh(SimulatedPlatforms.CsvDefault) : SevRoundTripTests.VerifiedPdh(platform);
        var random = new RoundTripRandom($"{PlatformNames.Of(kind)}/launch-image");
        var digest = LaunchDigest.Compute(profile.Crypto, image);
        Assert.NotNull(digest.HashTable);

        using var session = profile.CreateSession(pdh, policy, random);
        using var launch = platform.LaunchStart(session.GodhCertificate, session.SessionBlob, policy);
        launch.UpdateData(File.ReadAllBytes(image.OvmfPath));
        launch.UpdateData(digest.HashTable);
        byte[] measurement = launch.Measure();
        var noHashes = LaunchDigest.Compute(profile.Crypto, image with { KernelHashes = false });

        // Without the table the same OVMF is another digest: only the one with hashes matches.
        var match = MeasurementVerifier.Verify(profile.Crypto, session.Tik, measurement, Parameters(platform.Version, policy),
            [new DigestCandidate("without hashes", noHashes.Digest), new DigestCandidate("with hashes", digest.Digest)],
            MeasurementFormulas.DefaultsFor(kind));
        Assert.NotNull(match);
        Assert.Equal(("with hashes", formula), (match.CandidateName, match.Formula));

        var table = new SecretTable().Add(KnownGuids.KeysetBundle, """{"key1":"c2VjcmV0"}"""u8).Add(KnownGuids.DiskPassphrase, "luks"u8);
        var packet = SecretPacket.Create(profile.Crypto, session.Tek, session.Tik, match.Measure,
            table.Build(digest.Footer.SecretArea is { } area ? (int)area.Size : SecretTable.DefaultAreaSize), random);
        AssertDelivered(table, launch.InjectSecret(packet.Header, packet.Data));
    }
}
