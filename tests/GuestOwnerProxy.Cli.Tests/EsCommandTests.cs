namespace GuestOwnerProxy.Cli.Tests;

/// <summary>The SEV-ES options of digest, measure and verify-measurement, and <c>gop vmsa build/show</c>.</summary>
public sealed class EsCommandTests : IDisposable
{
    private const string KataOvmf = "more/kata/ovmf_suffix.bin";
    private readonly TempDir _dir = new();
    private readonly string _empty;

    public EsCommandTests() => _empty = _dir.Write("empty", []);

    public void Dispose() => _dir.Dispose();

    private string[] Kata(params string[] more) =>
        ["digest", "--platform", "sev", "--ovmf", Vectors.Path(KataOvmf), "--kernel", _empty, "--initrd", _empty, "--cmdline", "", .. more];

    [VectorFact] // E1–E4 through the command line; several counts give "N digest" lines
    public void Digest_es_vectors()
    {
        var legacy = Gop.Run(Kata("--es", "--vcpus", "1,4", "--vcpu-type", "EPYC-v4", "--vmsa-layout", "legacy"));
        Assert.Equal(0, legacy.ExitCode);
        Assert.Equal("1 7e5c26fb454621eb466978b4d0242b3c04b44a034de7fc0a2d8dac60ea2b6403\n4 b2111b0051fc3a06ec216899b2c78da99fb9d56c6ff2e8261dd3fe6cff79ecbc\n", legacy.Stdout);
        var init2 = Gop.Run(Kata("--es", "--vcpus", "4", "--vcpu-sig", "0x800f12", "--vmsa-layout", "init2"));
        Assert.Equal("4fb2a2c4b2321ef9fcc5603b8f56bed5320284333cd8c744cd49e17819a4e403\n", init2.Stdout);
        var fms = Gop.Run(Kata("--es", "--vcpus", "1", "--vcpu-family", "23", "--vcpu-model", "1", "--vcpu-stepping", "2"));
        Assert.Equal("71f2ad31168a38ba16015de87b87618b30c38572553c371e8dee0c0731e3fdce\n", fms.Stdout); // E3: init2 is the default
    }

    [Theory]
    [InlineData(new[] { "--vcpus", "2" }, "--vcpus: applies only to an SEV-ES/CSV2 launch: add --es")]
    [InlineData(new[] { "--es", "--vcpu-type", "EPYC" }, "--vcpus: is required with --es")]
    [InlineData(new[] { "--es", "--vcpus", "2" }, "missing the vCPU signature")]
    [InlineData(new[] { "--es", "--vcpus", "2", "--vcpu-type", "EPYC-X" }, "--vcpu-type: unknown vCPU type 'EPYC-X' (known: EPYC, EPYC-v1")]
    [InlineData(new[] { "--es", "--vcpus", "2", "--vcpu-type", "EPYC", "--vcpu-sig", "1" }, "not several")]
    [InlineData(new[] { "--es", "--vcpus", "0", "--vcpu-type", "EPYC" }, "--vcpus: vCPU count 0 is out of range")]
    [InlineData(new[] { "--es", "--vcpus", "2", "--vcpu-type", "EPYC", "--vmsa-layout", "snp" }, "--vmsa-layout: 'snp' is not a VMSA layout")]
    [InlineData(new[] { "--es", "--vcpus", "2", "--vcpu-family", "25" }, "--vcpu-model: is required")]
    public void Es_option_errors_name_the_option(string[] options, string message)
    {
        var r = Gop.Run(["digest", "--platform", "sev", "--ovmf", DemoImage.Ovmf, .. options]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }

    [Fact]
    public void An_ovmf_without_the_reset_block_is_refused_with_es()
    {
        var bytes = File.ReadAllBytes(DemoImage.Ovmf);
        int at = bytes.AsSpan().IndexOf(new Guid("00f771de-1a7e-4fcb-890e-68c77e2fb44e").ToByteArray());
        bytes[at] ^= 0xff;
        var ovmf = _dir.Write("no-reset.fd", bytes);
        var r = Gop.Run("digest", "--platform", "sev", "--ovmf", ovmf, "--es", "--vcpus", "1", "--vcpu-type", "EPYC");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no SEV-ES reset block", r.Stderr);
        Assert.Equal(0, Gop.Run("digest", "--platform", "sev", "--ovmf", ovmf).ExitCode);
    }

    [Fact]
    public void Csv2_digest_warns_that_it_is_unconfirmed()
    {
        var r = Gop.Run("digest", "--platform", "csv", "--ovmf", DemoImage.Ovmf, "--es", "--vcpus", "2", "--vcpu-type", "Dhyana");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("unconfirmed", r.Stderr);
        var json = Gop.Run("digest", "--platform", "csv", "--ovmf", DemoImage.Ovmf, "--es", "--vcpus", "1-2", "--vcpu-type", "Dhyana", "--json");
        Assert.Contains("\"confirmed\": false", json.Stdout);
        Assert.Contains("\"scheme\": \"csv2-sm3\"", json.Stdout);
    }

    [Fact]
    public void Measure_and_verify_measurement_take_the_es_options()
    {
        const string tik = "66320db73158a35a255d051758e95ed4", mnonce = "4fbe0bedbad6c86ae8f68971d103e554";
        string[] facts = ["--platform", "sev", "--tik", tik, "--api-major", "0", "--api-minor", "24", "--build", "15"];
        string[] image = ["--ovmf", DemoImage.Ovmf, "--es", "--vcpu-type", "EPYC-v4"];
        var measure = Gop.Run(["measure", .. facts, "--policy", "0x4", "--mnonce", mnonce, "--blob", .. image, "--vcpus", "3"]);
        Assert.True(measure.ExitCode == 0, measure.ToString());
        string blob = measure.Stdout.Trim();

        var ok = Gop.Run(["verify-measurement", .. facts, "--policy", "0x4", "--measurement", blob, .. image, "--vcpus", "1-8", "--json"]);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("(es, 3 vcpus, init2)", ok.Stdout);
        Assert.Equal(1, Gop.Run(["verify-measurement", .. facts, "--policy", "0x4", "--measurement", blob, .. image, "--vcpus", "4-8"]).ExitCode);
        Assert.Equal(1, Gop.Run(["verify-measurement", .. facts, "--policy", "0x4", "--measurement", blob, .. image, "--vcpus", "3", "--vmsa-layout", "legacy"]).ExitCode);

        var noBit = Gop.Run(["measure", .. facts, "--policy", "0", "--mnonce", mnonce, .. image, "--vcpus", "3"]);
        Assert.Equal(2, noBit.ExitCode);
        Assert.Contains("--policy: 0x0 lacks the ES bit", noBit.Stderr);
        var many = Gop.Run(["measure", .. facts, "--policy", "4", "--mnonce", mnonce, .. image, "--vcpus", "1-2"]);
        Assert.Equal(2, many.ExitCode);
        Assert.Contains("--vcpus: '1-2' names 2 counts", many.Stderr);
    }

    [VectorFact] // sevctl's AP page: family 25 model 1 stepping 1, legacy layout, its trimmed OVMF
    public void Vmsa_build_writes_sevctls_pages_and_show_describes_them()
    {
        var ovmf = Vectors.Path("more/sevctl/OVMF.amdsev.fd_trimmed_edk2-ovmf-20220126gitbb1bba3d77-4.el9");
        for (int cpu = 0; cpu < 2; cpu++)
        {
            var out1 = _dir.File($"vmsa{cpu}.bin");
            var r = Gop.Run("vmsa", "build", "--cpu", $"{cpu}", "--out", out1, "--ovmf", ovmf,
                "--vcpu-family", "25", "--vcpu-model", "1", "--vcpu-stepping", "1", "--vmsa-layout", "legacy");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal(File.ReadAllBytes(Vectors.Path($"more/sevctl/vmsa/vmsa{cpu}.bin")), File.ReadAllBytes(out1));
        }
        var show = Gop.Run("vmsa", "show", Vectors.Path("more/sevctl/vmsa/vmsa1.bin"));
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("initial vCPU state", show.Stdout);
        Assert.Contains("vcpu-sig:  0xa00f11", show.Stdout);
        Assert.Contains("layout:    legacy", show.Stdout);
        Assert.Contains("eip 0x80b004 (AP)", show.Stdout);
    }

    [Fact]
    public void Vmsa_show_flags_a_page_that_is_not_initial_state_and_build_needs_the_ap_start()
    {
        var page = _dir.File("p.bin");
        Assert.Equal(0, Gop.Run("vmsa", "build", "--cpu", "0", "--out", page, "--vcpu-type", "EPYC-Genoa").ExitCode);
        var bytes = File.ReadAllBytes(page);
        bytes[0x900] = 7;
        File.WriteAllBytes(page, bytes);
        var show = Gop.Run("vmsa", "show", page, "--json");
        Assert.Equal(1, show.ExitCode);
        Assert.Contains("\"unexpectedOffsets\": [\n    \"0x900\"", show.Stdout.Replace("\r", ""));

        var ap = Gop.Run("vmsa", "build", "--cpu", "1", "--out", page, "--vcpu-type", "EPYC");
        Assert.Equal(2, ap.ExitCode);
        Assert.Contains("--reset-eip", ap.Stderr);
        Assert.Equal(0, Gop.Run("vmsa", "build", "--cpu", "1", "--out", page, "--vcpu-type", "EPYC", "--reset-eip", "0x80b004").ExitCode);
        var wrongSize = Gop.Run("vmsa", "show", _empty);
        Assert.Equal(2, wrongSize.ExitCode);
        Assert.Contains("FILE", wrongSize.Stderr);
    }
}
