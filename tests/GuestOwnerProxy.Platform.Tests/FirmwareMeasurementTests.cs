using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Platform.Tests;

public class FirmwareMeasurementTests
{
    private const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Fact]
    public void Sev_MatchesVectorS1()
    {
        byte[] measure = FirmwareMeasurement.Sev(Vectors.Hex("66320db73158a35a255d051758e95ed4"), 0x00, 0x12, 0x0f, 0,
            Vectors.Hex(EmptySha256), Vectors.Hex("4fbe0bedbad6c86ae8f68971d103e554"));
        Assert.Equal("6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea", Vectors.ToHex(measure));
    }

    [Fact]
    public void Sev_DependsOnEveryInput()
    {
        byte[] tik = Vectors.Hex("66320db73158a35a255d051758e95ed4");
        byte[] ld = Vectors.Hex(EmptySha256);
        byte[] mnonce = Vectors.Hex("4fbe0bedbad6c86ae8f68971d103e554");
        string baseline = Vectors.ToHex(FirmwareMeasurement.Sev(tik, 0, 0x12, 0x0f, 0, ld, mnonce));
        Assert.NotEqual(baseline, Vectors.ToHex(FirmwareMeasurement.Sev(tik, 0, 0x12, 0x10, 0, ld, mnonce)));
        Assert.NotEqual(baseline, Vectors.ToHex(FirmwareMeasurement.Sev(tik, 0, 0x12, 0x0f, 1, ld, mnonce)));
        Assert.NotEqual(baseline, Vectors.ToHex(FirmwareMeasurement.Sev(tik, 0, 0x12, 0x0f, 0, ld, new byte[16])));
    }

    [Theory]
    [InlineData(CsvMeasurementVariant.NoBuild, "04010203000000")]
    [InlineData(CsvMeasurementVariant.Build8, "040102ab03000000")]
    [InlineData(CsvMeasurementVariant.Build32, "040102abcd000003000000")]
    public void Csv_VariantsHashTheDocumentedPrefix(CsvMeasurementVariant variant, string prefixHex)
    {
        // Version 1.2 build 0xcdab, policy 3: the prefix is written out by hand from the csv-rs formula (0x04, major, minor, policy).
        var version = new FirmwareVersion(1, 2, 0xcdab);
        byte[] tik = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        byte[] ld = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        byte[] mnonce = Enumerable.Range(200, 16).Select(i => (byte)i).ToArray();

        byte[] expected = Sm3.Hmac(tik, [.. Vectors.Hex(prefixHex), .. ld, .. mnonce]);
        Assert.Equal(Vectors.ToHex(expected), Vectors.ToHex(FirmwareMeasurement.Csv(variant, tik, version, 3, ld, mnonce)));
    }
}
