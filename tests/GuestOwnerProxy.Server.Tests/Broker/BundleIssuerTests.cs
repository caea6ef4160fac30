using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Policy;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuestOwnerProxy.Server.Tests.Broker;

/// <summary>The bundle half of the broker as a unit: decisions, sessions and audit, no wire.</summary>
public sealed class BundleIssuerTests
{
    private static BundleRequestFacts Request(ISoftwarePlatform platform, BrokerProtocol protocol = BrokerProtocol.Setup) =>
        new(platform.PdhCertificate, platform.CertificateChain, 0, "unit", protocol);

    [Theory]
    [InlineData(PlatformKind.Csv)]
    [InlineData(PlatformKind.Sev)]
    public async Task A_trusted_platform_gets_a_bundle_and_a_session(PlatformKind kind)
    {
        using var broker = new BrokerUnderTest();
        var decision = await broker.Issuer.IssueAsync(Request(TestPlatforms.For(kind)));

        Assert.True(decision.IsGranted);
        var bundle = decision.Value!;
        Assert.Equal(kind, bundle.Platform);
        Assert.Equal(PlatformEvidence.CertificateSize, bundle.GodhCertificate.Length);
        Assert.Equal(1, broker.Sessions.Count);
        var audit = Assert.Single(broker.Audit.Records);
        Assert.Equal(("bundle", "issued", PlatformNames.Of(kind), true), (audit.Event, audit.Decision, audit.Platform, audit.ChainVerified));
        Assert.Equal((bundle.ConnectionId, bundle.LaunchId.ToString()), (audit.ConnectionId!.Value, audit.LaunchId));
        Assert.Equal(broker.Time.GetUtcNow(), audit.Time);
    }

    [Fact]
    public async Task A_keybroker_export_file_is_split_by_the_registry()
    {
        using var broker = new BrokerUnderTest();
        var platform = TestPlatforms.Sev;
        var decision = await broker.Issuer.IssueAsync(new BundleRequestFacts([], platform.FullChain, 0, "unit", BrokerProtocol.KeyBroker, ChainIsExportFile: true));
        Assert.True(decision.IsGranted);
        Assert.Equal("keybroker", Assert.Single(broker.Audit.Records).Protocol);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "empty", "PLATFORM_PUBLIC_KEY_MISSING" },
        { "short", "PLATFORM_UNRECOGNIZED" },
        { "untrusted", "CERTIFICATE_CHAIN_INVALID" },
        { "export-too-short", "CERTIFICATE_INVALID" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Refusals_are_decisions_with_a_reason_and_open_no_session(string request, string reason)
    {
        using var broker = new BrokerUnderTest();
        var facts = request switch
        {
            "empty" => new BundleRequestFacts([], [], 0, "unit", BrokerProtocol.Setup),
            "short" => new BundleRequestFacts(new byte[100], [], 0, "unit", BrokerProtocol.Setup),
            "untrusted" => Request(TestPlatforms.Untrusted(PlatformKind.Csv)),
            _ => new BundleRequestFacts([], new byte[10], 0, "unit", BrokerProtocol.KeyBroker, ChainIsExportFile: true),
        };
        var decision = await broker.Issuer.IssueAsync(facts);

        Assert.False(decision.IsGranted);
        Assert.Equal(reason, decision.Denial!.Code);
        Assert.Equal(0, broker.Sessions.Count);
        var audit = Assert.Single(broker.Audit.Records);
        Assert.Equal(("denied", reason, decision.Denial.Detail), (audit.Decision, audit.Reason, audit.Detail));
        Assert.Throws<LaunchDeniedException>(() => decision.OrDeny());
    }

    [Fact]
    public async Task A_full_store_is_too_many_sessions()
    {
        using var broker = new BrokerUnderTest(limits: new SessionLimitOptions { MaxSessions = 1 });
        Assert.True((await broker.Issuer.IssueAsync(Request(TestPlatforms.Sev))).IsGranted);
        var second = await broker.Issuer.IssueAsync(Request(TestPlatforms.Sev));
        Assert.Equal(DenialReason.TooManySessions, second.Denial);
        Assert.Equal(DenialStatus.ResourceExhausted, second.Denial!.Status);
    }

    [Fact]
    public async Task An_unreachable_store_denies_as_internal_error()
    {
        using var broker = new BrokerUnderTest();
        var issuer = new BundleIssuer(broker.Dependencies with { Sessions = new UnreachableStore() }, NullLogger<BundleIssuer>.Instance);
        var decision = await issuer.IssueAsync(Request(TestPlatforms.Csv()));
        Assert.Equal(DenialReason.InternalError, decision.Denial);
        Assert.Equal("INTERNAL_ERROR", Assert.Single(broker.Audit.Records).Reason);
    }

    /// <summary>A store whose backing service is down: every call fails.</summary>
    internal sealed class UnreachableStore : ISessionStore
    {
        public ValueTask<LiveSession> AddAsync(LaunchSession launch, PlatformIdentity identity, string peer, string client) => throw new IOException("store unreachable");
        public ValueTask<ISessionLease?> TryAcquireAsync(SessionHandle handle) => throw new IOException("store unreachable");
        public ValueTask<int> CountAsync() => throw new IOException("store unreachable");
    }
}
