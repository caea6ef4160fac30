using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Platform.Tests;

/// <summary>What an operator copies from a host: the simulator writes each exported file under the vendor's own name.</summary>
public sealed class TrustFileExportTests
{
    [Theory]
    [InlineData(PlatformKind.Csv, "hrk.cert", "hsk_cek.cert")]
    [InlineData(PlatformKind.Sev, "ark.cert", "ask.cert")]
    public void WriteTrustFiles_writes_the_exported_files(PlatformKind kind, string root, string intermediate)
    {
        ISoftwarePlatform p = kind == PlatformKind.Csv
            ? SoftwareCsvPlatformCertificateTests.Platform.Value
            : SoftwareSevPlatformCertificateTests.Platform.Value;
        string dir = Path.Combine(Path.GetTempPath(), "gop-sim-" + Guid.NewGuid().ToString("N"));
        try
        {
            p.WriteTrustFiles(dir);
            Assert.Equal(p.PdhCertificate, File.ReadAllBytes(Path.Combine(dir, "pdh.cert")));
            Assert.Equal(p.CertificateChain, File.ReadAllBytes(Path.Combine(dir, "cert_chain.cert")));
            Assert.Equal(p.FullChain, File.ReadAllBytes(Path.Combine(dir, "full_chain.cert")));
            Assert.Equal(p.RootCertificate, File.ReadAllBytes(Path.Combine(dir, root)));
            Assert.Equal(p.Intermediate, File.ReadAllBytes(Path.Combine(dir, intermediate)));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
