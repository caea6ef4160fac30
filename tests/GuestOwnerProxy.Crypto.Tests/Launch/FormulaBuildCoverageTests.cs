using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Crypto.Tests.Launch;

/// <summary>Which claimed build ids a measurement formula authenticates: the basis of the server's build rule.</summary>
public sealed class FormulaBuildCoverageTests
{
    [Theory]
    [InlineData(MeasurementFormula.CsvNoBuild, 0L, false)]
    [InlineData(MeasurementFormula.CsvNoBuild, 1600L, false)]
    [InlineData(MeasurementFormula.CsvBuild8, 15L, false)] // real builds 271, 527, ... measure alike
    [InlineData(MeasurementFormula.CsvBuild8, 256L, false)]
    [InlineData(MeasurementFormula.CsvBuild8, 1600L, false)]
    [InlineData(MeasurementFormula.CsvBuild32, 1600L, true)]
    [InlineData(MeasurementFormula.CsvBuild32, 4294967295L, true)]
    [InlineData(MeasurementFormula.CsvBuild32, 4294967296L, false)]
    [InlineData(MeasurementFormula.CsvBuild32, -1L, false)]
    [InlineData(MeasurementFormula.Sev, 15L, true)]
    [InlineData(MeasurementFormula.Sev, 256L, false)]
    public void Covers_exactly_the_ids_the_hmac_input_holds_whole(MeasurementFormula formula, long buildId, bool covered) =>
        Assert.Equal(covered, MeasurementFormulas.CoversBuildId(formula, buildId));

    /// <summary>The claim the formula does not cover really is outside the HMAC: two claims, one measure.</summary>
    [Theory]
    [InlineData(MeasurementFormula.CsvNoBuild, 1L, 1600L)]
    [InlineData(MeasurementFormula.CsvBuild8, 64L, 1600L)]
    [InlineData(MeasurementFormula.CsvBuild8, 271L, 15L)]
    public void An_uncovered_claim_measures_like_another_build(MeasurementFormula formula, long real, long claimed)
    {
        var crypto = Crypto.Csv.CsvLaunchCrypto.Instance;
        byte[] tik = new byte[16], digest = new byte[32], mnonce = new byte[16];
        tik[0] = 1;
        Assert.Equal(
            LaunchMeasurement.ComputeMeasure(crypto, formula, tik, new MeasurementParameters(1, 2, real, 0), digest, mnonce),
            LaunchMeasurement.ComputeMeasure(crypto, formula, tik, new MeasurementParameters(1, 2, claimed, 0), digest, mnonce));
        Assert.False(MeasurementFormulas.CoversBuildId(formula, claimed));
    }
}
