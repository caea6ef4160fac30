using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Launch;

public class MeasurementTests
{
    private static readonly byte[] S1Tik = Hex("66320db73158a35a255d051758e95ed4");
    private static readonly byte[] S1Digest = Hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    private static readonly byte[] S1Mnonce = Hex("4fbe0bedbad6c86ae8f68971d103e554");
    private static readonly MeasurementParameters S1Params = new(0x00, 0x12, 0x0f, 0);
    private const string S1Measure = "6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea";

    [Fact] // S1
    public void SevMeasurementVector()
    {
        var measure = LaunchMeasurement.ComputeMeasure(SevLaunchCrypto.Instance, MeasurementFormula.Sev, S1Tik, S1Params, S1Digest, S1Mnonce);
        Assert.Equal(S1Measure, ToHex(measure));
    }

    [Fact]
    public void VerifierFindsTheMatchingCandidateAmongOthers()
    {
        byte[] blob = [.. Hex(S1Measure), .. S1Mnonce];
        var candidates = new[]
        {
            new DigestCandidate("other", new byte[32]),
            new DigestCandidate("empty", S1Digest),
        };
        var match = MeasurementVerifier.Verify(SevLaunchCrypto.Instance, S1Tik, blob, S1Params, candidates, [MeasurementFormula.Sev]);
        Assert.NotNull(match);
        Assert.Equal("empty", match!.CandidateName);
        Assert.Equal(MeasurementFormula.Sev, match.Formula);
    }

    [Fact]
    public void AnyFlippedBitOrParameterIsRejected()
    {
        byte[] blob = [.. Hex(S1Measure), .. S1Mnonce];
        var candidates = new[] { new DigestCandidate("empty", S1Digest) };
        for (int i = 0; i < blob.Length; i++)
        {
            var tampered = (byte[])blob.Clone();
            tampered[i] ^= 0x01;
            Assert.Null(MeasurementVerifier.Verify(SevLaunchCrypto.Instance, S1Tik, tampered, S1Params, candidates, [MeasurementFormula.Sev]));
        }
        Assert.Null(MeasurementVerifier.Verify(SevLaunchCrypto.Instance, S1Tik, blob, S1Params with { BuildId = 0x10 }, candidates, [MeasurementFormula.Sev]));
        Assert.Null(MeasurementVerifier.Verify(SevLaunchCrypto.Instance, S1Tik, blob, S1Params with { Policy = 1 }, candidates, [MeasurementFormula.Sev]));
        Assert.Null(MeasurementVerifier.Verify(SevLaunchCrypto.Instance, new byte[16], blob, S1Params, candidates, [MeasurementFormula.Sev]));
    }

    [Fact]
    public void SevBuildAbove255IsAClearErrorNotAnOverflow()
    {
        var ex = Assert.Throws<CryptoFormatException>(() => LaunchMeasurement.ComputeMeasure(
            SevLaunchCrypto.Instance, MeasurementFormula.Sev, S1Tik, S1Params with { BuildId = 1600 }, S1Digest, S1Mnonce));
        Assert.Contains("build id 1600", ex.Message);
        Assert.Throws<CryptoFormatException>(() => LaunchMeasurement.ComputeMeasure(
            SevLaunchCrypto.Instance, MeasurementFormula.Sev, S1Tik, S1Params with { ApiMajor = 256 }, S1Digest, S1Mnonce));
    }

    [Theory]
    [InlineData(MeasurementFormula.CsvNoBuild)]
    [InlineData(MeasurementFormula.CsvBuild8)]
    [InlineData(MeasurementFormula.CsvBuild32)]
    public void CsvFormulasAreDistinctAndEachIsFoundByTheVerifier(MeasurementFormula formula)
    {
        var p = new MeasurementParameters(1, 2, 1881, 0x5);
        var measure = LaunchMeasurement.ComputeMeasure(CsvLaunchCrypto.Instance, formula, S1Tik, p, S1Digest, S1Mnonce);
        var match = MeasurementVerifier.Verify(CsvLaunchCrypto.Instance, S1Tik, [.. measure, .. S1Mnonce], p,
            [new DigestCandidate("img", S1Digest)], MeasurementFormulas.DefaultsFor(PlatformKind.Csv));
        Assert.Equal(formula, match!.Formula);
        // Restricting the set to the other formulas must reject it.
        var others = MeasurementFormulas.DefaultsFor(PlatformKind.Csv).Where(f => f != formula);
        Assert.Null(MeasurementVerifier.Verify(CsvLaunchCrypto.Instance, S1Tik, [.. measure, .. S1Mnonce], p,
            [new DigestCandidate("img", S1Digest)], others));
    }

    [Fact]
    public void CsvNoBuildLayoutIsPinned()
    {
        var p = new MeasurementParameters(1, 2, 1881, 0x11223344);
        byte[] input = [0x04, 1, 2, 0x44, 0x33, 0x22, 0x11, .. S1Digest, .. S1Mnonce];
        Assert.Equal(Sm3.Hmac(S1Tik, input),
            LaunchMeasurement.ComputeMeasure(CsvLaunchCrypto.Instance, MeasurementFormula.CsvNoBuild, S1Tik, p, S1Digest, S1Mnonce));
        byte[] input32 = [0x04, 1, 2, 0x59, 0x07, 0, 0, 0x44, 0x33, 0x22, 0x11, .. S1Digest, .. S1Mnonce];
        Assert.Equal(Sm3.Hmac(S1Tik, input32),
            LaunchMeasurement.ComputeMeasure(CsvLaunchCrypto.Instance, MeasurementFormula.CsvBuild32, S1Tik, p, S1Digest, S1Mnonce));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(47)]
    [InlineData(49)]
    public void WrongBlobLengthIsAFormatError(int length)
    {
        var ex = Assert.Throws<CryptoFormatException>(() => LaunchMeasurement.Parse(new byte[length]));
        Assert.Contains("48 bytes", ex.Message);
    }

    [Fact]
    public void FormulaNamesRoundTrip()
    {
        foreach (var f in Enum.GetValues<MeasurementFormula>())
            Assert.Equal(f, MeasurementFormulas.Parse(MeasurementFormulas.Name(f)));
        Assert.Throws<CryptoFormatException>(() => MeasurementFormulas.Parse("bogus"));
    }
}
