using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>
/// SEV-ES/CSV2 launches between the guest-owner digest code and the simulated firmware and host (whose VMSA
/// pages come from <see cref="SimulatedVcpuState"/>, written independently): for 1–64 vCPUs and both layouts the
/// firmware's digest is the one <see cref="LaunchDigest.ComputeEs"/> precomputed, and its measurement verifies.
/// </summary>
public sealed class EsRoundTripTests
{
    private const uint EsPolicy = GuestPolicyBits.Es;
    private const uint Signature = 0x800f12;

    public static TheoryData<PlatformKind, VmsaLayout> Cases => new()
    {
        { PlatformKind.Sev, VmsaLayout.Legacy }, { PlatformKind.Sev, VmsaLayout.Init2 },
        { PlatformKind.Csv, VmsaLayout.Legacy }, { PlatformKind.Csv, VmsaLayout.Init2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneToSixtyFourVcpus(PlatformKind kind, VmsaLayout layout)
    {
        var profile = PlatformRegistry.Default.For(kind);
        ISoftwarePlatform platform = kind == PlatformKind.Sev ? SimulatedPlatforms.Sev : SimulatedPlatforms.CsvDefault;
        var image = new LaunchImage(DemoImage.Ovmf);
        var model = new EsVcpuModel(Signature, layout);
        var expected = LaunchDigest.ComputeEs(profile.Crypto, image, model, Enumerable.Range(1, 64));
        var candidates = expected.Digests.Select(d => new DigestCandidate($"{d.Vcpus}", d.Digest)).ToList();
        // A candidate set of the other layout must never match.
        var otherLayout = LaunchDigest.ComputeEs(profile.Crypto, image,
            model with { Layout = layout == VmsaLayout.Legacy ? VmsaLayout.Init2 : VmsaLayout.Legacy }, Enumerable.Range(1, 64))
            .Digests.Select(d => new DigestCandidate($"other {d.Vcpus}", d.Digest)).ToList();
        var plain = new DigestCandidate("plain", LaunchDigest.Compute(profile.Crypto, image).Digest);

        var firmware = File.ReadAllBytes(DemoImage.Ovmf);
        uint apStart = SimulatedVcpuState.ApStartFromFirmware(firmware) ?? throw new InvalidOperationException("demo OVMF has no reset block");
        var simLayout = layout == VmsaLayout.Legacy ? SimulatedVmsaLayout.EsInit : SimulatedVmsaLayout.Init2;
        var random = new RoundTripRandom($"es/{kind}/{layout}");
        for (int vcpus = 1; vcpus <= 64; vcpus++)
        {
            using var session = profile.CreateSession(platform.PdhCertificate, EsPolicy, random);
            using var launch = platform.LaunchStart(session.GodhCertificate, session.SessionBlob, EsPolicy);
            launch.UpdateData(firmware);
            for (int cpu = 0; cpu < vcpus; cpu++)
                launch.UpdateVmsa(SimulatedVcpuState.SaveArea(cpu, apStart, Signature, simLayout));
            var measurement = launch.Measure();
            Assert.Equal(expected.For(vcpus), launch.LaunchDigest);

            var parameters = GuestOwnerSide.Parameters(platform.Version, EsPolicy);
            var formulas = MeasurementFormulas.DefaultsFor(kind);
            var match = MeasurementVerifier.Verify(profile.Crypto, session.Tik, measurement, parameters, candidates, formulas);
            Assert.NotNull(match);
            Assert.Equal($"{vcpus}", match.CandidateName);
            Assert.Null(MeasurementVerifier.Verify(profile.Crypto, session.Tik, measurement, parameters, [.. otherLayout, plain], formulas));
        }
    }

    [Fact]
    public void FirmwareRefusesVmsaWithoutTheEsBitAndAnEsMeasureWithoutVmsa()
    {
        var profile = PlatformRegistry.Default.For(PlatformKind.Sev);
        var platform = SimulatedPlatforms.Sev;
        var random = new RoundTripRandom("es/refusals");
        using (var session = profile.CreateSession(platform.PdhCertificate, 0, random))
        using (var launch = platform.LaunchStart(session.GodhCertificate, session.SessionBlob, 0))
        {
            var ex = Assert.Throws<FirmwareException>(() => launch.UpdateVmsa(new byte[4096]));
            Assert.Equal(FirmwareError.PolicyViolation, ex.Error);
        }
        using (var session = profile.CreateSession(platform.PdhCertificate, EsPolicy, random))
        using (var launch = platform.LaunchStart(session.GodhCertificate, session.SessionBlob, EsPolicy))
        {
            Assert.Equal(FirmwareError.InvalidLength, Assert.Throws<FirmwareException>(() => launch.UpdateVmsa(new byte[4095])).Error);
            Assert.Equal(FirmwareError.InvalidState, Assert.Throws<FirmwareException>(() => launch.Measure()).Error);
            launch.UpdateVmsa(new byte[4096]);
            Assert.Equal(FirmwareError.InvalidState, Assert.Throws<FirmwareException>(() => launch.UpdateData([1])).Error);
            launch.Measure();
            Assert.Equal(1, launch.VmsaCount);
        }
    }

    [Fact]
    public void SimulatedHostPagesEqualTheGuestOwnersPages()
    {
        uint apStart = SimulatedVcpuState.ApStartFromFirmware(File.ReadAllBytes(DemoImage.Ovmf))!.Value;
        Assert.Equal(OvmfFooter.Read(DemoImage.Ovmf).SevEsResetAddress, apStart);
        foreach (var (layout, sim) in new[] { (VmsaLayout.Legacy, SimulatedVmsaLayout.EsInit), (VmsaLayout.Init2, SimulatedVmsaLayout.Init2) })
        {
            for (int cpu = 0; cpu < 2; cpu++)
                Assert.Equal(VmsaPage.ForVcpu(cpu, apStart, 0xa00f11, layout), SimulatedVcpuState.SaveArea(cpu, apStart, 0xa00f11, sim));
        }
        Assert.Null(SimulatedVcpuState.ApStartFromFirmware(new byte[4096]));
    }
}
