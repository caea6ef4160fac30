using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;
using static GuestOwnerProxy.Crypto.Tests.RoundTrip.GuestOwnerSide;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

internal sealed record RoundTripResult(MeasurementFormula Formula, byte[] SessionBlob, uint Policy, int SecretEntries);

/// <summary>A launch up to LAUNCH_MEASURE, with what the guest owner needs to check it. Dispose ends the session.</summary>
internal sealed class MeasuredLaunch(LaunchSession session, ISoftwareLaunch launch, PlannedLaunch plan, byte[] measurement,
    List<DigestCandidate> candidates, MeasurementParameters parameters, RoundTripRandom choices) : IDisposable
{
    public LaunchSession Session { get; } = session;
    public ISoftwareLaunch Launch { get; } = launch;
    public PlannedLaunch Plan { get; } = plan;
    public byte[] Measurement { get; } = measurement;
    public List<DigestCandidate> Candidates { get; } = candidates;
    public MeasurementParameters Parameters { get; } = parameters;
    public RoundTripRandom Choices { get; } = choices;

    public MeasurementMatch? Verify(ILaunchCrypto crypto, IEnumerable<MeasurementFormula> formulas, byte[]? measurement = null) =>
        MeasurementVerifier.Verify(crypto, Session.Tik, measurement ?? Measurement, Parameters, Candidates, formulas);

    public void Dispose()
    {
        Launch.Dispose();
        Session.Dispose();
    }
}

/// <summary>
/// One complete launch between the guest-owner code and a simulated firmware:
/// CreateSession(PDH) → LAUNCH_START → LAUNCH_UPDATE_DATA → LAUNCH_MEASURE → MeasurementVerifier →
/// SecretTable + SecretPacket → LAUNCH_SECRET, asserting every hand-over on the way.
/// </summary>
internal static class LaunchRoundTrip
{
    /// <param name="sessionRandom">Feeds CreateSession (and later the secret IV); the test's own choices (policy,
    /// image, table) come from a sibling stream, so a session blob depends only on the label and the policy.</param>
    public static MeasuredLaunch StartAndMeasure(IPlatformProfile profile, ISoftwarePlatform platform, byte[] pdh,
        RoundTripRandom sessionRandom, uint? policy = null)
    {
        var choices = new RoundTripRandom(sessionRandom.Label + "/choices");
        var crypto = profile.Crypto;
        uint chosenPolicy = policy ?? RandomPolicy(choices, platform.Version);

        var session = profile.CreateSession(pdh, chosenPolicy, sessionRandom);
        ISoftwareLaunch launch;
        try
        {
            Assert.Equal(profile.Kind, session.Platform);
            Assert.Equal(chosenPolicy, session.Policy);
            launch = platform.LaunchStart(session.GodhCertificate, session.SessionBlob, chosenPolicy);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        try
        {
            Assert.Equal(chosenPolicy, launch.Policy);
            var plan = Plan(crypto, choices, chosenPolicy);
            Load(launch, plan, choices);
            byte[] measurement = launch.Measure();
            Assert.Equal(LaunchMeasurement.Size, measurement.Length);
            Assert.Equal(plan.ExpectedDigest, launch.LaunchDigest);
            return new MeasuredLaunch(session, launch, plan, measurement, Candidates(crypto, plan, choices),
                Parameters(platform.Version, chosenPolicy), choices);
        }
        catch
        {
            launch.Dispose();
            session.Dispose();
            throw;
        }
    }

    public static RoundTripResult Run(IPlatformProfile profile, ISoftwarePlatform platform, byte[] pdh,
        RoundTripRandom sessionRandom, uint? policy = null)
    {
        var crypto = profile.Crypto;
        using var measured = StartAndMeasure(profile, platform, pdh, sessionRandom, policy);
        var match = measured.Verify(crypto, MeasurementFormulas.DefaultsFor(profile.Kind));
        Assert.NotNull(match);
        Assert.Equal(ImageCandidate, match.CandidateName);
        Assert.Equal(measured.Plan.ExpectedDigest, match.Digest);
        Assert.Equal(measured.Measurement[..LaunchMeasurement.MeasureSize], match.Measure);

        var table = RandomTable(measured.Choices);
        var packet = SecretPacket.Create(crypto, measured.Session.Tek, measured.Session.Tik, match.Measure, table.Build(), sessionRandom);
        AssertDelivered(table, measured.Launch.InjectSecret(packet.Header, packet.Data));
        return new RoundTripResult(match.Formula, measured.Session.SessionBlob.ToArray(), measured.Plan.Policy, table.Entries.Count);
    }
}
