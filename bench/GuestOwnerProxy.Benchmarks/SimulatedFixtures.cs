using System.Text;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Benchmarks;

/// <summary>Simulated platforms and the operator trust that accepts them, shared by the launch benchmarks.</summary>
internal static class SimulatedFixtures
{
    /// <summary>A policy with the usual flags (NODBG, SEV/CSV) and no minimum API.</summary>
    public const uint Policy = 0x00000021;

    /// <summary>config/dev/demo/OVMF.fd of the checkout (found by walking up to GuestOwnerProxy.sln): a real OVMF footer.</summary>
    public static string DemoOvmf
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "GuestOwnerProxy.sln")))
                    return Path.Combine(dir.FullName, "config", "dev", "demo", "OVMF.fd");
            }
            throw new FileNotFoundException("GuestOwnerProxy.sln not found above the benchmark binary");
        }
    }

    public static ISoftwarePlatform Create(PlatformKind kind, bool rsa4096 = false) => SoftwarePlatform.Create(kind, new SoftwarePlatformOptions
    {
        // CSV keys are cheap to derive from a seed; SEV's RSA ARK/ASK are generated fresh (seeded RSA takes seconds).
        Seed = kind == PlatformKind.Csv ? Encoding.ASCII.GetBytes("benchmark csv platform") : null,
        SevRsa4096 = rsa4096,
    });

    public static PlatformTrust TrustFor(ISoftwarePlatform platform) => new()
    {
        RootCertificates = [platform.RootCertificate],
        ExtraRootFingerprints = [platform.RootFingerprint],
        Intermediates = [platform.Intermediate],
    };

    public static PlatformEvidence EvidenceOf(ISoftwarePlatform platform) => new(platform.PdhCertificate, platform.CertificateChain);
}
