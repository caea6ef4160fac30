namespace GuestOwnerProxy.Cli.Tests;

/// <summary><c>gop measure</c> and <c>gop verify-measurement</c> (vector S1 and round trips).</summary>
public sealed class MeasureCommandTests : IDisposable
{
    private const string S1Tik = "66320db73158a35a255d051758e95ed4";
    private const string S1Digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private const string S1Mnonce = "4fbe0bedbad6c86ae8f68971d103e554";
    private const string S1Measure = "6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea";

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string[] S1Args(string tik) =>
        ["--platform", "sev", "--tik", tik, "--api-major", "0", "--api-minor", "0x12", "--build", "0x0f", "--policy", "0"];

    [Fact]
    public void S1_Measure()
    {
        var r = Gop.Run(["measure", .. S1Args(S1Tik), "--digest", S1Digest, "--mnonce", S1Mnonce]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(S1Measure + "\n", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void S1_TikFromRawFile()
    {
        var tik = _dir.Write("tik.bin", Convert.FromHexString(S1Tik));
        var r = Gop.Run(["measure", .. S1Args("@" + tik), "--digest", S1Digest, "--mnonce", S1Mnonce]);
        Assert.Equal(S1Measure + "\n", r.Stdout);
    }

    [Fact]
    public void S1_VerifyMeasurement_MatchesAndNamesFormula()
    {
        var blob = Convert.ToBase64String(Convert.FromHexString(S1Measure + S1Mnonce));
        var r = Gop.Run(["verify-measurement", .. S1Args(S1Tik), "--measurement", blob, "--digest", S1Digest]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"match: formula sev, digest {S1Digest}\n", r.Stdout);

        // Another candidate digest first: still found, constant-time over all candidates.
        var many = Gop.Run(["verify-measurement", .. S1Args(S1Tik), "--measurement", blob,
            "--digest", new string('a', 64), "--digest", S1Digest, "--json"]);
        Assert.Equal(0, many.ExitCode);
        Assert.Contains("\"match\": true", many.Stdout);
    }

    [Fact]
    public void VerifyMeasurement_Mismatch_Exit1()
    {
        var bad = Convert.FromHexString(S1Measure + S1Mnonce);
        bad[0] ^= 1;
        var r = Gop.Run(["verify-measurement", .. S1Args(S1Tik), "--measurement", Convert.ToBase64String(bad), "--digest", S1Digest]);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("no match", r.Stdout);
    }

    [Fact]
    public void VerifyMeasurement_WrongLength_Exit2()
    {
        var r = Gop.Run(["verify-measurement", .. S1Args(S1Tik), "--measurement", Convert.ToBase64String(new byte[32]), "--digest", S1Digest]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--measurement: 32 bytes", r.Stderr);
    }

    [Fact]
    public void Csv_AllCandidates_ThenVerifyEach()
    {
        string mnonce = "00112233445566778899aabbccddeeff";
        string[] common = ["--platform", "csv", "--tik", S1Tik, "--api-major", "1", "--api-minor", "2", "--build", "1600", "--policy", "0"];
        var r = Gop.Run(["measure", .. common, "--ovmf", DemoImage.Ovmf, "--mnonce", mnonce, "--blob"]);
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("csv-no-build ", lines[0]);
        Assert.StartsWith("csv-build8 ", lines[1]);
        Assert.StartsWith("csv-build32 ", lines[2]);

        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            var v = Gop.Run(["verify-measurement", .. common, "--measurement", parts[1], "--ovmf", DemoImage.Ovmf]);
            Assert.Equal(0, v.ExitCode);
            Assert.Contains($"formula {parts[0]}", v.Stdout);

            // Pinning another variant rejects it.
            string other = parts[0] == "csv-build32" ? "csv-no-build" : "csv-build32";
            var pinned = Gop.Run(["verify-measurement", .. common, "--measurement", parts[1], "--ovmf", DemoImage.Ovmf, "--variant", other]);
            Assert.Equal(1, pinned.ExitCode);
        }
    }

    [Fact]
    public void Variant_OfOtherPlatform_Exit2()
    {
        var r = Gop.Run(["measure", .. S1Args(S1Tik), "--digest", S1Digest, "--mnonce", S1Mnonce, "--variant", "csv-build8"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--variant", r.Stderr);
    }

    [Fact]
    public void BadTik_Exit2_WithoutEchoingIt()
    {
        var r = Gop.Run(["measure", .. S1Args("66320db73158a35a255d05"), "--digest", S1Digest, "--mnonce", S1Mnonce]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--tik", r.Stderr);
        Assert.DoesNotContain("66320db73158a35a255d05", r.Stderr);
    }

    [Fact]
    public void MissingRequiredOption_Exit2()
    {
        var r = Gop.Run("measure", "--platform", "sev", "--tik", S1Tik, "--api-minor", "1", "--build", "1", "--policy", "0",
            "--digest", S1Digest, "--mnonce", S1Mnonce);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("missing required option '--api-major'", r.Stderr);
    }
}
