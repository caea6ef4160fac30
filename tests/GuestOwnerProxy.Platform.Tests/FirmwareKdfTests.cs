using System.Text;
using GuestOwnerProxy.Platform.Csv;
using GuestOwnerProxy.Platform.Sev;

namespace GuestOwnerProxy.Platform.Tests;

public class FirmwareKdfTests
{
    private static readonly byte[] Zero16 = new byte[16];

    [Fact]
    public void CsvDerive_MatchesVectorH1()
    {
        byte[] derived = CsvFirmwareKdf.Derive(Zero16, 16, Zero16, "csv-master-secret");
        Assert.Equal("19e8d550e3a799b2917bc59146aaadae", Vectors.ToHex(derived));
    }

    [Fact]
    public void CsvDerive_DiffersFromTheSinglePassKdf()
    {
        // H1 names the single-pass value as the wrong answer; pin that the simulator does not produce it.
        byte[] p = [.. Zero16, .. Encoding.ASCII.GetBytes("csv-master-secret"), 0x00, .. Zero16];
        byte[] singlePass = CsvFirmwareKdf.Sm2Kdf(p, 32).AsSpan(0, 16).ToArray();
        Assert.Equal("0ef59d14cd2e35f7c36ee08bae8dfd00", Vectors.ToHex(singlePass));
        Assert.NotEqual(Vectors.ToHex(singlePass), Vectors.ToHex(CsvFirmwareKdf.Derive(Zero16, 16, Zero16, "csv-master-secret")));
    }

    [Fact]
    public void CsvDerive_LongerOutputsExtendTheShorterOnesPrefixOnlyWithinABlock()
    {
        byte[] d16 = CsvFirmwareKdf.Derive(Zero16, 16, Zero16, "csv-kek");
        byte[] d32 = CsvFirmwareKdf.Derive(Zero16, 32, Zero16, "csv-kek");
        Assert.Equal(d16, d32.AsSpan(0, 16).ToArray());
        Assert.NotEqual(d32, CsvFirmwareKdf.Derive(Zero16, 32, Zero16, "csv-kik"));
    }

    [Fact]
    public void SevKdf_MatchesVectorS2()
    {
        byte[] master = SevFirmwareKdf.Derive(Zero16, 16, "sev-master-secret", Zero16);
        Assert.Equal("ab4d269fcc62bedb4511d56c386ce706", Vectors.ToHex(master));
    }

    [Fact]
    public void SevKdf_KekAndKikMatchVectorS4()
    {
        byte[] master = SevFirmwareKdf.Derive(Zero16, 16, "sev-master-secret", Zero16);
        Assert.Equal("b6abfbfb75ea1ea74ed8750b8afdb973", Vectors.ToHex(SevFirmwareKdf.Derive(master, 16, "sev-kek", default)));
        Assert.Equal("53b524bf5669a363f365c864acba8572", Vectors.ToHex(SevFirmwareKdf.Derive(master, 16, "sev-kik", default)));
    }
}
