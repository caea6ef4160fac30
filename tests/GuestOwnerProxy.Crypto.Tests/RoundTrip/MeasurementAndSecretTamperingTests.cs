using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>After LAUNCH_MEASURE: the verifier refuses an altered measurement, and the firmware refuses an
/// altered secret packet or one made for another launch's measure.</summary>
public class MeasurementAndSecretTamperingTests
{
    public static TheoryData<PlatformKind> Platforms => new() { PlatformKind.Csv, PlatformKind.Sev };

    [Theory]
    [MemberData(nameof(Platforms))]
    public void AnyAlteredMeasurementByte_IsRejectedByTheVerifier(PlatformKind kind)
    {
        var (profile, platform) = Setup(kind);
        using var measured = LaunchRoundTrip.StartAndMeasure(profile, platform, platform.PdhCertificate,
            new RoundTripRandom($"{kind}/tamper/measurement"));
        var formulas = MeasurementFormulas.DefaultsFor(kind);
        Assert.NotNull(measured.Verify(profile.Crypto, formulas));

        for (int i = 0; i < LaunchMeasurement.Size; i++)
        {
            for (int bit = 0; bit < 8; bit += 3)
            {
                byte[] altered = (byte[])measured.Measurement.Clone();
                altered[i] ^= (byte)(1 << bit);
                Assert.True(measured.Verify(profile.Crypto, formulas, altered) is null,
                    $"{(i < LaunchMeasurement.MeasureSize ? "measure" : "mnonce")} byte {i} bit {bit} altered, still accepted");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void MeasurementUnderOtherFirmwareFacts_IsRejected(PlatformKind kind)
    {
        var (profile, platform) = Setup(kind);
        using var measured = LaunchRoundTrip.StartAndMeasure(profile, platform, platform.PdhCertificate,
            new RoundTripRandom($"{kind}/tamper/parameters"));
        var formulas = MeasurementFormulas.DefaultsFor(kind);
        var p = measured.Parameters;
        var crypto = profile.Crypto;
        foreach (var (what, other) in new (string, MeasurementParameters)[]
                 {
                     ("policy", p with { Policy = p.Policy ^ 1 }),
                     ("API major", p with { ApiMajor = p.ApiMajor + 1 }),
                     ("API minor", p with { ApiMinor = p.ApiMinor + 1 }),
                 })
        {
            Assert.True(MeasurementVerifier.Verify(crypto, measured.Session.Tik, measured.Measurement, other,
                measured.Candidates, formulas) is null, $"measurement accepted under another {what}");
        }
        // Only the digests the keyset allows count: without the approved image nothing matches.
        var withoutImage = measured.Candidates.Where(c => c.Name != GuestOwnerSide.ImageCandidate).ToList();
        Assert.Null(MeasurementVerifier.Verify(crypto, measured.Session.Tik, measured.Measurement, p, withoutImage, formulas));
    }

    [Theory]
    [MemberData(nameof(Platforms))]
    public void AnyAlteredSecretHeaderOrDataByte_IsRejectedByTheFirmware(PlatformKind kind)
    {
        var (profile, platform) = Setup(kind);
        var random = new RoundTripRandom($"{kind}/tamper/secret");
        using var measured = LaunchRoundTrip.StartAndMeasure(profile, platform, platform.PdhCertificate, random);
        var match = measured.Verify(profile.Crypto, MeasurementFormulas.DefaultsFor(kind));
        Assert.NotNull(match);
        var table = new SecretTable().Add(KnownGuids.DiskPassphrase, "correct horse battery staple"u8)
            .Add(KnownGuids.KeysetBundle, random.Bytes(100));
        var packet = SecretPacket.Create(profile.Crypto, measured.Session.Tek, measured.Session.Tik, match.Measure, table.Build(), random);

        for (int i = 0; i < SecretPacket.HeaderSize; i++)
        {
            byte[] header = CsvSessionTamperingTests.Flip(packet.Header, i, random);
            string field = i < SecretPacket.IvOffset ? "flags" : i < SecretPacket.MacOffset ? "IV" : "MAC";
            FirmwareAssert.Refuses(FirmwareError.BadSecretMac, $"secret header {field} byte {i} altered",
                () => measured.Launch.InjectSecret(header, packet.Data));
        }
        for (int i = 0; i < packet.Data.Length; i++)
        {
            byte[] data = CsvSessionTamperingTests.Flip(packet.Data, i, random);
            FirmwareAssert.Refuses(FirmwareError.BadSecretMac, $"secret data byte {i} altered",
                () => measured.Launch.InjectSecret(packet.Header, data));
        }
        FirmwareAssert.Refuses(FirmwareError.BadSecretMac, "secret data truncated by 16 bytes",
            () => measured.Launch.InjectSecret(packet.Header, packet.Data[..^16]));
        // The refusals left the launch intact: the genuine packet still delivers.
        GuestOwnerSide.AssertDelivered(table, measured.Launch.InjectSecret(packet.Header, packet.Data));
    }

    /// <summary>
    /// The same session started twice (a host replaying LAUNCH_START) gives two launches with different
    /// mnonces. A packet bound to one launch's measure must not open in the other, nor under another session.
    /// </summary>
    [Theory]
    [MemberData(nameof(Platforms))]
    public void PacketForAnotherMeasureOrSession_IsRejected(PlatformKind kind)
    {
        var (profile, platform) = Setup(kind);
        var random = new RoundTripRandom($"{kind}/tamper/other-measure");
        using var first = LaunchRoundTrip.StartAndMeasure(profile, platform, platform.PdhCertificate, random, policy: 0);
        using var replay = platform.LaunchStart(first.Session.GodhCertificate, first.Session.SessionBlob, 0);
        GuestOwnerSide.Load(replay, first.Plan, new RoundTripRandom(random.Label + "/replay"));
        byte[] replayMeasurement = replay.Measure();
        Assert.Equal(first.Launch.LaunchDigest, replay.LaunchDigest);
        Assert.NotEqual(first.Measurement, replayMeasurement);

        var formulas = MeasurementFormulas.DefaultsFor(kind);
        var firstMatch = first.Verify(profile.Crypto, formulas);
        var replayMatch = first.Verify(profile.Crypto, formulas, replayMeasurement);
        Assert.NotNull(firstMatch);
        Assert.NotNull(replayMatch);

        var table = new SecretTable().Add(KnownGuids.DiskPassphrase, "for the first launch only"u8).Build();
        var forFirst = SecretPacket.Create(profile.Crypto, first.Session.Tek, first.Session.Tik, firstMatch.Measure, table, random);
        FirmwareAssert.Refuses(FirmwareError.BadSecretMac, "packet for the first launch's measure injected into the replay",
            () => replay.InjectSecret(forFirst.Header, forFirst.Data));

        using var otherSession = profile.CreateSession(platform.PdhCertificate, 0, new RoundTripRandom(random.Label + "/other"));
        var otherKeys = SecretPacket.Create(profile.Crypto, otherSession.Tek, otherSession.Tik, firstMatch.Measure, table, random);
        FirmwareAssert.Refuses(FirmwareError.BadSecretMac, "packet under another session's TEK/TIK",
            () => first.Launch.InjectSecret(otherKeys.Header, otherKeys.Data));

        Assert.Single(first.Launch.InjectSecret(forFirst.Header, forFirst.Data));
        var forReplay = SecretPacket.Create(profile.Crypto, first.Session.Tek, first.Session.Tik, replayMatch.Measure, table, random);
        Assert.Single(replay.InjectSecret(forReplay.Header, forReplay.Data));
    }

    private static (IPlatformProfile Profile, ISoftwarePlatform Platform) Setup(PlatformKind kind) =>
        (PlatformRegistry.Default.For(kind), kind == PlatformKind.Csv ? SimulatedPlatforms.CsvDefault : SimulatedPlatforms.Sev);
}
