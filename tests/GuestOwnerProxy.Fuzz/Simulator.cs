using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Fuzz;

/// <summary>The simulated CSV and SEV firmware of the development seed (what `gop simulate` runs), and the trust in
/// its roots: the fixed trust every chain harness verifies against.</summary>
public static class Simulator
{
    private static readonly Lazy<ISoftwarePlatform> CsvPlatform = new(() => Create(PlatformKind.Csv));
    private static readonly Lazy<ISoftwarePlatform> SevPlatform = new(() => Create(PlatformKind.Sev));
    private static readonly Lazy<PlatformTrust> TrustValue = new(() => new PlatformTrust
    {
        RootCertificates = [Csv.RootCertificate, Sev.RootCertificate],
        Intermediates = [Csv.Intermediate, Sev.Intermediate],
        ExtraRootFingerprints = [Csv.RootFingerprint, Sev.RootFingerprint],
    });

    public static ISoftwarePlatform Csv => CsvPlatform.Value;
    public static ISoftwarePlatform Sev => SevPlatform.Value;
    public static ISoftwarePlatform For(PlatformKind kind) => kind == PlatformKind.Csv ? Csv : Sev;
    public static PlatformTrust Trust => TrustValue.Value;

    private static ISoftwarePlatform Create(PlatformKind kind) =>
        SoftwarePlatform.Create(kind, new SoftwarePlatformOptions { Seed = SoftwarePlatformSeeds.DevelopmentSeed });
}
