using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Launch;

public sealed class LaunchDigestVectorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gop-ld-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Empty(string name)
    {
        var path = System.IO.Path.Combine(_dir, name);
        File.WriteAllBytes(path, []);
        return path;
    }

    [VectorFact] // S5
    public void KernelInitrdCmdline()
    {
        var image = new LaunchImage(Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"), Empty("k"), Empty("i"),
            "console=ttyS0 loglevel=7"u8.ToArray());
        var result = LaunchDigest.Compute(SevLaunchCrypto.Instance, image);
        Assert.Equal("82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff", ToHex(result.Digest));
        Assert.Equal(176, result.HashTable!.Length);
    }

    [VectorFact] // S6
    public void KernelOnly()
    {
        var image = new LaunchImage(Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"), Empty("k"));
        Assert.Equal("77f613d7bbcdf12a73782ea9e88b0172aeda50d1a54201cb903594ff52846898",
            ToHex(LaunchDigest.Compute(SevLaunchCrypto.Instance, image).Digest));
    }

    [VectorFact] // S7
    public void NoKernel()
    {
        var image = new LaunchImage(Vectors.Path("ovmf/ovmf_OvmfX64_suffix.bin"));
        var result = LaunchDigest.Compute(SevLaunchCrypto.Instance, image);
        Assert.Equal("b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da", ToHex(result.Digest));
        Assert.Null(result.HashTable);
    }

    [VectorFact] // S8
    public void KernelWithOvmfLackingHashesAreaIsRefused()
    {
        var image = new LaunchImage(Vectors.Path("ovmf/ovmf_OvmfX64_suffix.bin"), Empty("k"));
        var ex = Assert.Throws<CryptoFormatException>(() => LaunchDigest.Compute(SevLaunchCrypto.Instance, image));
        Assert.Contains(LaunchDigest.NoHashesAreaMessage, ex.Message);
    }

    [Fact]
    public void KernelHashesOffMeasuresOvmfAlone()
    {
        var ovmf = DemoImage.Ovmf;
        var withoutTable = LaunchDigest.Compute(CsvLaunchCrypto.Instance, new LaunchImage(ovmf, Empty("k"), KernelHashes: false));
        Assert.Equal(Sm3.Hash(File.ReadAllBytes(ovmf)), withoutTable.Digest);
        Assert.Null(withoutTable.HashTable);
    }

    [Fact]
    public void CsvDigestIsSm3OverTheSameBytesAsSev()
    {
        var image = new LaunchImage(DemoImage.Ovmf, Empty("k"), Empty("i"), "console=ttyS0 loglevel=7"u8.ToArray());
        var sev = LaunchDigest.Compute(SevLaunchCrypto.Instance, image);
        var csv = LaunchDigest.Compute(CsvLaunchCrypto.Instance, image);
        var expected = Sm3.Hash([.. File.ReadAllBytes(image.OvmfPath), .. sev.HashTable!]);
        Assert.Equal(expected, csv.Digest);
        Assert.Equal(sev.HashTable, csv.HashTable);
    }

    [Fact]
    public void CmdlineHashIncludesTerminatingNul()
    {
        Assert.Equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", ToHex(KernelHashesTable.HashCmdline([])));
        Assert.Equal("321c8eec6a77bad179511397f913a083067ad8cb737bb260aacbfe8df70fc50a",
            ToHex(KernelHashesTable.HashCmdline("console=ttyS0 loglevel=7"u8)));
    }

    [Fact]
    public void MissingFileNamesTheFile()
    {
        var image = new LaunchImage(System.IO.Path.Combine(_dir, "nope.fd"));
        var ex = Assert.Throws<CryptoFormatException>(() => LaunchDigest.Compute(SevLaunchCrypto.Instance, image));
        Assert.Contains("nope.fd", ex.Message);
        Assert.Contains("OVMF", ex.Message);
    }

    [Fact]
    public void LargeFileIsStreamedToTheSameDigestAsInMemory()
    {
        var big = new byte[5 * 1024 * 1024 + 7];
        new Random(1).NextBytes(big);
        var path = System.IO.Path.Combine(_dir, "big.fd");
        File.WriteAllBytes(path, big);
        Assert.Equal(Sm3.Hash(big), LaunchDigest.Compute(CsvLaunchCrypto.Instance, new LaunchImage(path)).Digest);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(big), LaunchDigest.Compute(SevLaunchCrypto.Instance, new LaunchImage(path)).Digest);
    }
}
