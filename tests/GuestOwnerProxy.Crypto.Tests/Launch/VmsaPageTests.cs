using System.Buffers.Binary;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Crypto.Tests.Launch;

public sealed class VmsaPageTests
{
    [Theory]
    [InlineData("EPYC", 0x800f12u)]
    [InlineData("EPYC-v4", 0x800f12u)]
    [InlineData("epyc-ibpb", 0x800f12u)]
    [InlineData("EPYC-Rome", 0x830f10u)]
    [InlineData("EPYC-Milan-v2", 0xa00f11u)]
    [InlineData("EPYC-Genoa", 0xa10f10u)]
    [InlineData("Dhyana", 0x900f01u)]
    public void ModelNames(string name, uint sig) => Assert.Equal(sig, VcpuSignature.FromModel(name));

    [Fact]
    public void UnknownModelListsTheKnownOnes()
    {
        var ex = Assert.Throws<CryptoFormatException>(() => VcpuSignature.FromModel("EPYC-Turin-typo"));
        Assert.Contains("EPYC-v4", ex.Message);
        Assert.Contains("Dhyana", ex.Message);
    }

    [Theory]
    [InlineData(23, 1, 2, 0x800f12u)]
    [InlineData(25, 1, 1, 0xa00f11u)]
    [InlineData(6, 0x3a, 9, 0x306a9u)] // family ≤ 0xf: no extended family
    [InlineData(0, 0, 0, 0u)]
    public void FamilyModelStepping(int family, int model, int stepping, uint sig) =>
        Assert.Equal(sig, VcpuSignature.FromFamilyModelStepping(family, model, stepping));

    [Theory]
    [InlineData(-1, 0, 0, "family")]
    [InlineData(23, 256, 0, "model")]
    [InlineData(23, 1, 16, "stepping")]
    public void FamilyModelSteppingOutOfRange(int family, int model, int stepping, string field) =>
        Assert.Contains(field, Assert.Throws<CryptoFormatException>(() => VcpuSignature.FromFamilyModelStepping(family, model, stepping)).Message);

    [Theory]
    [InlineData("0x800f12", 0x800f12u)]
    [InlineData("A00F11", 0xa00f11u)]
    public void RawSignature(string text, uint sig) => Assert.Equal(sig, VcpuSignature.ParseRaw(text));

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("0x1234567890")]
    [InlineData("zz")]
    public void BadRawSignature(string text) => Assert.Throws<CryptoFormatException>(() => VcpuSignature.ParseRaw(text));

    [Fact]
    public void LayoutsDifferInExactlyTheMxcsrAndFcwBytes()
    {
        var legacy = VmsaPage.Build(0x80b004, 0x800f12, VmsaLayout.Legacy);
        var init2 = VmsaPage.Build(0x80b004, 0x800f12, VmsaLayout.Init2);
        var differing = Enumerable.Range(0, VmsaPage.Size).Where(i => legacy[i] != init2[i]).ToList();
        Assert.Equal([0x408, 0x409, 0x410, 0x411], differing);
        Assert.Equal(0x1f80u, BinaryPrimitives.ReadUInt32LittleEndian(init2.AsSpan(0x408)));
        Assert.Equal((ushort)0x37f, BinaryPrimitives.ReadUInt16LittleEndian(init2.AsSpan(0x410)));
    }

    [Theory]
    [InlineData(VmsaLayout.Legacy)]
    [InlineData(VmsaLayout.Init2)]
    public void DescribeReadsBackWhatBuildWrites(VmsaLayout layout)
    {
        var page = VmsaPage.Build(VmsaPage.BspEip, 0xa10f10, layout);
        var fields = VmsaPage.Describe(page);
        Assert.True(fields.IsInitialState);
        Assert.Equal(layout, fields.Layout);
        Assert.Equal(0xa10f10u, fields.VcpuSignature);
        Assert.Equal(VmsaPage.BspEip, fields.Eip);
        Assert.Equal(0xffff0000ul, fields.CsBase);
        Assert.Equal(0xfff0ul, fields.Rip);
    }

    [Fact]
    public void DescribeReportsBytesThatAreNotInitialState()
    {
        var page = VmsaPage.Build(VmsaPage.BspEip, 0x800f12, VmsaLayout.Legacy);
        page[0x800] = 1;
        var fields = VmsaPage.Describe(page);
        Assert.False(fields.IsInitialState);
        Assert.Equal([0x800], fields.UnexpectedNonZeroOffsets);
        Assert.Throws<CryptoFormatException>(() => VmsaPage.Describe(new byte[100]));
    }

    [Fact]
    public void LayoutNames()
    {
        Assert.Equal(VmsaLayout.Init2, VmsaLayouts.Parse("INIT2"));
        Assert.Contains("legacy, init2", Assert.Throws<CryptoFormatException>(() => VmsaLayouts.Parse("snp")).Message);
    }
}
