using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Server.Tests.Configuration;

/// <summary>The trust version a session remembers: equal exactly when the same things are trusted.</summary>
public sealed class TrustVersionTests
{
    private static string VersionOf(byte[][] roots, byte[][] intermediates, string[]? extra = null, bool skip = false) =>
        new BrokerConfiguration(1, new Dictionary<string, Keyset>(), new Dictionary<string, string>(),
            new LoadedTrust(new PlatformTrust { RootCertificates = roots, Intermediates = intermediates, ExtraRootFingerprints = extra ?? [] },
                skip, extra ?? [], intermediates.Length), unsafeMode: false).TrustVersion;

    private static readonly byte[] A = [1, 2, 3], B = [4, 5, 6];

    [Fact]
    public void A_certificate_moved_between_roots_and_intermediates_is_another_trust() =>
        Assert.NotEqual(VersionOf([A], []), VersionOf([], [A]));

    [Fact]
    public void Order_does_not_matter_and_every_input_does()
    {
        Assert.Equal(VersionOf([A, B], [B]), VersionOf([B, A], [B]));
        Assert.NotEqual(VersionOf([A], [B]), VersionOf([A], [B], skip: true));
        Assert.NotEqual(VersionOf([A], [B]), VersionOf([A], [B], extra: [new string('a', 64)]));
        Assert.NotEqual(VersionOf([A], [B]), VersionOf([A], [A]));
    }
}
