using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Policy;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestOwnerProxy.Server.Tests.Broker;

/// <summary>The secret half of the broker as a unit: single use, expiry on the fake clock, handles, fail closed.</summary>
public sealed class SecretReleaserTests
{
    /// <summary>Bundle through the issuer, LAUNCH_START and MEASURE on the simulated firmware.</summary>
    private static async Task<(LaunchBundle Bundle, ISoftwareLaunch Launch, byte[] Measurement, ISoftwarePlatform Platform)> Launch(
        BrokerUnderTest broker, PlatformKind kind)
    {
        var platform = TestPlatforms.For(kind);
        var bundle = (await broker.Issuer.IssueAsync(new BundleRequestFacts(platform.PdhCertificate, platform.CertificateChain, 0, "unit", BrokerProtocol.Setup))).OrDeny();
        var launch = platform.LaunchStart(bundle.GodhCertificate, bundle.SessionBlob, 0);
        launch.UpdateData(broker.Setup.OvmfBytes);
        return (bundle, launch, launch.Measure(), platform);
    }

    private static SecretRequestFacts Secret(SessionHandle handle, ISoftwarePlatform platform, byte[] measurement) =>
        new(handle, "KEYSET-1", 0, platform.Version.ApiMajor, platform.Version.ApiMinor, platform.Version.BuildId, measurement, "unit");

    [Theory]
    [InlineData(PlatformKind.Csv, false)]
    [InlineData(PlatformKind.Sev, false)]
    [InlineData(PlatformKind.Csv, true)]
    [InlineData(PlatformKind.Sev, true)]
    public async Task A_secret_is_released_once_by_either_handle(PlatformKind kind, bool byLaunchId)
    {
        using var broker = new BrokerUnderTest();
        var (bundle, launch, measurement, platform) = await Launch(broker, kind);
        using var _ = launch;
        var handle = byLaunchId ? SessionHandle.ForLaunch(bundle.LaunchId) : SessionHandle.ForConnection(bundle.ConnectionId);

        var released = await broker.Releaser.ReleaseAsync(Secret(handle, platform, measurement));
        Assert.True(released.IsGranted);
        Assert.Single(launch.InjectSecret(released.Value!.Header, released.Value.Data));
        Assert.Equal(0, broker.Sessions.Count);

        var again = await broker.Releaser.ReleaseAsync(Secret(handle, platform, measurement));
        Assert.Equal(byLaunchId ? "LAUNCH_ID_UNKNOWN" : "CONNECTION_ID_INVALID", again.Denial!.Code);
        var audit = broker.Audit.Records.Where(r => r.Event == "secret").ToList();
        Assert.Equal(["released", "denied"], audit.Select(r => r.Decision));
        Assert.Equal(byLaunchId ? "keybroker" : "setup", audit[0].Protocol);
    }

    [Fact]
    public async Task A_session_expires_on_the_clock()
    {
        using var broker = new BrokerUnderTest();
        var (bundle, launch, measurement, platform) = await Launch(broker, PlatformKind.Sev);
        using var _ = launch;
        broker.Time.Advance(new SessionLimitOptions().Ttl);

        var decision = await broker.Releaser.ReleaseAsync(Secret(SessionHandle.ForConnection(bundle.ConnectionId), platform, measurement));
        Assert.Equal(DenialReason.ConnectionIdInvalid, decision.Denial);
    }

    [Fact]
    public async Task Keyset_checks_come_before_the_session_is_touched()
    {
        using var broker = new BrokerUnderTest();
        var (bundle, launch, measurement, platform) = await Launch(broker, PlatformKind.Csv);
        using var _ = launch;
        var request = Secret(SessionHandle.ForConnection(bundle.ConnectionId), platform, measurement) with { KeysetId = "KEYSET-404" };

        Assert.Equal(DenialReason.KeysetInvalid, (await broker.Releaser.ReleaseAsync(request)).Denial);
        Assert.Equal(1, broker.Sessions.Count);
        var audit = broker.Audit.Records.Last();
        Assert.Null(audit.Platform); // no session was looked at
        Assert.Equal(broker.Configuration.Current.Version, audit.ConfigVersion);
    }

    [Fact]
    public async Task An_unreachable_store_denies_as_internal_error()
    {
        using var broker = new BrokerUnderTest();
        var releaser = new SecretReleaser(broker.Dependencies with { Sessions = new BundleIssuerTests.UnreachableStore() }, NullLogger<SecretReleaser>.Instance);
        var decision = await releaser.ReleaseAsync(Secret(SessionHandle.ForConnection(1), TestPlatforms.Sev, new byte[48]));
        Assert.Equal(DenialReason.InternalError, decision.Denial);
        Assert.Equal(("denied", "INTERNAL_ERROR"), (broker.Audit.Records.Single().Decision, broker.Audit.Records.Single().Reason));
    }
}
