using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Launch;

/// <summary>SEV-ES launch digests (spec sev-es.md): vectors E1–E4, sevctl's VMSA pages, the incremental computation.</summary>
public sealed class EsLaunchDigestTests : IDisposable
{
    private const string KataOvmf = "more/kata/ovmf_suffix.bin";
    private const string SevctlOvmf = "more/sevctl/OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9";
    private readonly string _dir = Directory.CreateTempSubdirectory("gop-es-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Empty(string name)
    {
        var path = System.IO.Path.Combine(_dir, name);
        File.WriteAllBytes(path, []);
        return path;
    }

    private LaunchImage KataImage() => new(Vectors.Path(KataOvmf), Empty("kernel"), Empty("initrd"), []);

    [VectorTheory]
    [InlineData("legacy", 1, "7e5c26fb454621eb466978b4d0242b3c04b44a034de7fc0a2d8dac60ea2b6403")] // E1 (kata's test)
    [InlineData("legacy", 4, "b2111b0051fc3a06ec216899b2c78da99fb9d56c6ff2e8261dd3fe6cff79ecbc")] // E2 (kata's test)
    [InlineData("init2", 1, "71f2ad31168a38ba16015de87b87618b30c38572553c371e8dee0c0731e3fdce")] // E3
    [InlineData("init2", 4, "4fb2a2c4b2321ef9fcc5603b8f56bed5320284333cd8c744cd49e17819a4e403")] // E4
    public void KataVectors(string layout, int vcpus, string expected)
    {
        var model = new EsVcpuModel(VcpuSignature.FromModel("EPYC-v4"), VmsaLayouts.Parse(layout));
        var result = LaunchDigest.ComputeEs(SevLaunchCrypto.Instance, KataImage(), model, [vcpus]);
        Assert.Equal(expected, ToHex(result.For(vcpus)));
        Assert.Equal(0x0080b004u, result.ApResetEip);
        Assert.Equal(EsDigestScheme.SevEs, result.Scheme);
    }

    [VectorFact]
    public void OnePassOverManyCountsEqualsOnePassPerCount()
    {
        var model = new EsVcpuModel(0x800f12, VmsaLayout.Init2);
        var all = LaunchDigest.ComputeEs(SevLaunchCrypto.Instance, KataImage(), model, Enumerable.Range(1, 64));
        Assert.Equal(64, all.Digests.Count);
        foreach (int n in new[] { 1, 2, 4, 17, 64 })
            Assert.Equal(ToHex(LaunchDigest.ComputeEs(SevLaunchCrypto.Instance, KataImage(), model, [n]).For(n)), ToHex(all.For(n)));
        Assert.Equal(64, all.Digests.Select(d => ToHex(d.Digest)).Distinct().Count());
        Assert.Equal("4fb2a2c4b2321ef9fcc5603b8f56bed5320284333cd8c744cd49e17819a4e403", ToHex(all.For(4)));
    }

    [VectorFact]
    public void DigestIsTheImagePrefixFollowedByTheVmsaPages()
    {
        // Independent of the streaming code: hash the whole sequence in memory.
        var model = new EsVcpuModel(0x800f12, VmsaLayout.Legacy);
        var plain = LaunchDigest.Compute(SevLaunchCrypto.Instance, KataImage());
        var ovmf = Vectors.Read(KataOvmf);
        var bsp = VmsaPage.Build(VmsaPage.BspEip, 0x800f12, VmsaLayout.Legacy);
        var ap = VmsaPage.Build(0x0080b004, 0x800f12, VmsaLayout.Legacy);
        var expected = LaunchDigest.Compute(SevLaunchCrypto.Instance, ovmf, plain.HashTable!, bsp, ap, ap);
        Assert.Equal(ToHex(expected), ToHex(LaunchDigest.ComputeEs(SevLaunchCrypto.Instance, KataImage(), model, [3]).For(3)));
    }

    [VectorFact]
    public void Csv2UsesSm3AndIsMarkedUnconfirmed()
    {
        var model = new EsVcpuModel(VcpuSignature.FromModel("Dhyana"), VmsaLayout.Legacy);
        var result = LaunchDigest.ComputeEs(CsvLaunchCrypto.Instance, KataImage(), model, [2]);
        Assert.Equal(EsDigestScheme.Csv2Sm3, result.Scheme);
        Assert.False(EsDigestSchemes.IsConfirmed(result.Scheme));
        Assert.True(EsDigestSchemes.IsConfirmed(EsDigestScheme.SevEs));
        var plain = LaunchDigest.Compute(CsvLaunchCrypto.Instance, KataImage());
        var ap = VmsaPage.Build(0x0080b004, 0x900f01, VmsaLayout.Legacy);
        var expected = LaunchDigest.Compute(CsvLaunchCrypto.Instance, Vectors.Read(KataOvmf), plain.HashTable!,
            VmsaPage.Build(VmsaPage.BspEip, 0x900f01, VmsaLayout.Legacy), ap);
        Assert.Equal(ToHex(expected), ToHex(result.For(2)));
    }

    [VectorFact]
    public void AnOvmfWithoutTheResetBlockIsRefused()
    {
        // OvmfX64 builds have a GUID table but no SEV-ES reset block... check, then strip it from a copy if present.
        var bytes = Vectors.Read(KataOvmf);
        var stripped = System.IO.Path.Combine(_dir, "no-reset.bin");
        File.WriteAllBytes(stripped, RemoveResetBlockGuid(bytes));
        Assert.Null(OvmfFooter.Read(stripped).SevEsResetAddress);
        var image = new LaunchImage(stripped);
        var ex = Assert.Throws<CryptoFormatException>(() =>
            LaunchDigest.ComputeEs(SevLaunchCrypto.Instance, image, new EsVcpuModel(0x800f12, VmsaLayout.Legacy), [1]));
        Assert.Contains("SEV-ES reset block", ex.Message);
        // The same firmware still measures as a plain SEV guest.
        LaunchDigest.Compute(SevLaunchCrypto.Instance, image);
    }

    [VectorTheory]
    [InlineData(0)]
    [InlineData(EsVcpuModel.MaxVcpus + 1)]
    public void CountsOutOfRangeAreRefused(int vcpus)
    {
        var ex = Assert.Throws<CryptoFormatException>(() =>
            LaunchDigest.ComputeEs(SevLaunchCrypto.Instance, KataImage(), new EsVcpuModel(0x800f12, VmsaLayout.Legacy), [vcpus]));
        Assert.Contains("vCPU count", ex.Message);
    }

    [VectorTheory] // sevctl's BSP and AP pages (family 25 model 1 stepping 1, legacy layout)
    [InlineData("more/sevctl/vmsa/vmsa0.bin", 0)]
    [InlineData("more/sevctl/vmsa/vmsa1.bin", 1)]
    public void SevctlVmsaPages(string file, int cpu)
    {
        var footer = OvmfFooter.Read(Vectors.Path(SevctlOvmf));
        uint sig = VcpuSignature.FromFamilyModelStepping(25, 1, 1);
        Assert.Equal(0xa00f11u, sig);
        var page = VmsaPage.ForVcpu(cpu, footer.SevEsResetAddress!.Value, sig, VmsaLayout.Legacy);
        Assert.Equal(ToHex(Vectors.Read(file)), ToHex(page));
        var fields = VmsaPage.Describe(Vectors.Read(file));
        Assert.True(fields.IsInitialState);
        Assert.Equal(VmsaLayout.Legacy, fields.Layout);
        Assert.Equal(sig, fields.VcpuSignature);
        Assert.Equal(cpu == 0 ? VmsaPage.BspEip : footer.SevEsResetAddress!.Value, fields.Eip);
    }

    private static byte[] RemoveResetBlockGuid(byte[] image)
    {
        // Rename the entry's GUID so the table walk no longer sees a reset block (sizes stay valid).
        var guid = KnownGuids.OvmfSevEsResetBlock.ToByteArray();
        var copy = image.ToArray();
        int at = copy.AsSpan().IndexOf(guid);
        Assert.True(at >= 0, "the fixture has a reset block entry");
        copy[at] ^= 0xff;
        return copy;
    }
}
