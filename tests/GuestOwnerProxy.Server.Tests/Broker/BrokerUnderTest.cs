using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Broker;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GuestOwnerProxy.Server.Tests.Broker;

/// <summary>The issuer and the releaser wired by hand, without a host or a wire: the real loader, store and registry,
/// a fake clock and an audit log in memory.</summary>
public sealed class BrokerUnderTest : IDisposable
{
    public BrokerUnderTest(ServerSetup? setup = null, Action<GuestOwnerProxyOptions>? configure = null, SessionLimitOptions? limits = null)
    {
        Setup = setup ?? new ServerSetup();
        var dir = Setup.Directory;
        TestPlatforms.Csv().WriteTrustFiles(dir.File("trust/csv"));
        TestPlatforms.Sev.WriteTrustFiles(dir.File("trust/sev"));
        var options = new GuestOwnerProxyOptions
        {
            KeysetsFile = dir.Write("keysets.json", Setup.KeysetsJson),
            KeysFile = dir.Write("keys.json", Setup.KeysJson),
            Trust = new TrustOptions
            {
                RootFiles = [dir.File("trust/csv/hrk.cert"), dir.File("trust/sev/ark.cert")],
                IntermediateFiles = [dir.File("trust/csv/hsk_cek.cert"), dir.File("trust/sev/ask.cert")],
                ExtraRootFingerprints = [TestPlatforms.Csv().RootFingerprint, TestPlatforms.Sev.RootFingerprint],
            },
        };
        configure?.Invoke(options);
        Configuration = new FixedConfiguration(new BrokerConfigurationLoader().Load(options).Configuration);
        Sessions = new InMemorySessionStore(limits ?? new SessionLimitOptions(), Time, NullLogger<InMemorySessionStore>.Instance, null);
        var recorder = new DecisionRecorder(Audit, Time, NullLogger<DecisionRecorder>.Instance);
        Dependencies = new BrokerDependencies(Configuration, Sessions, PlatformRegistry.Default, SystemRandomSource.Instance, recorder, new ChainVerificationCache());
        Issuer = new BundleIssuer(Dependencies, NullLogger<BundleIssuer>.Instance);
        Releaser = new SecretReleaser(Dependencies, NullLogger<SecretReleaser>.Instance);
    }

    public ServerSetup Setup { get; }
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    public MemoryAuditLog Audit { get; } = new();
    public FixedConfiguration Configuration { get; }
    public InMemorySessionStore Sessions { get; }
    public BrokerDependencies Dependencies { get; }
    public BundleIssuer Issuer { get; }
    public SecretReleaser Releaser { get; }

    public void Dispose()
    {
        Sessions.Dispose();
        Setup.Directory.Dispose();
    }

    public sealed class FixedConfiguration(BrokerConfiguration current) : IBrokerConfigurationSource
    {
        public BrokerConfiguration Current { get; set; } = current;
    }

    public sealed class MemoryAuditLog : IAuditLog
    {
        private readonly List<AuditRecord> _records = [];

        public IReadOnlyList<AuditRecord> Records
        {
            get { lock (_records) return [.. _records]; }
        }

        public void Write(AuditRecord record)
        {
            lock (_records)
                _records.Add(record);
        }
    }
}
