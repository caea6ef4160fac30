using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Crypto.Tests.Launch;

public class OvmfFooterTests
{
    [VectorFact]
    public void AmdSevBuildAnnouncesHashesSecretAndResetBlock()
    {
        var footer = OvmfFooter.Read(Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"));
        Assert.True(footer.HasGuidTable);
        Assert.Equal(new OvmfArea(0x810c00, 0x400), footer.KernelHashesArea);
        Assert.Equal(new OvmfArea(0x810000, 0xc00), footer.SecretArea);
        Assert.Equal(0x80b004u, footer.SevEsResetAddress);
    }

    [VectorFact]
    public void OvmfX64HasNoKernelHashesArea()
    {
        var footer = OvmfFooter.Read(Vectors.Path("ovmf/ovmf_OvmfX64_suffix.bin"));
        Assert.Null(footer.KernelHashesArea);
    }

    [VectorTheory]
    [InlineData("more/kata/ovmf_suffix.bin")]
    [InlineData("more/sevctl/OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9")]
    public void OtherPublishedBuildsParse(string file)
    {
        var footer = OvmfFooter.Read(Vectors.Path(file));
        Assert.True(footer.HasGuidTable);
        Assert.NotNull(footer.SecretArea);
    }

    [Fact]
    public void NoGuidTableIsReportedNotThrown()
    {
        var footer = OvmfFooter.Parse(new byte[4096]);
        Assert.False(footer.HasGuidTable);
        Assert.Null(footer.KernelHashesArea);
        Assert.False(OvmfFooter.Parse(new byte[10]).HasGuidTable);
    }

    [VectorFact]
    public void CorruptEntrySizeIsAFormatError()
    {
        var tail = File.ReadAllBytes(Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"));
        int footerStart = tail.Length - 32 - 18;
        // The first entry before the footer: its size field sits 18 bytes before the footer entry.
        tail[footerStart - 18] = 3;
        tail[footerStart - 17] = 0;
        Assert.Throws<CryptoFormatException>(() => OvmfFooter.Parse(tail));
    }
}
