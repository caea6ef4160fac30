using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Platform.Tests;

public class SoftwareLaunchTests
{
    private static readonly Guid LuksGuid = new("736869e5-84f0-4973-92ec-06879ce3da0b");
    private static readonly byte[] Ovmf = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray();

    private static readonly Lazy<SoftwareCsvPlatform> Csv = new(() =>
        SoftwareCsvPlatform.Create(new SoftwarePlatformOptions { Seed = "csv launch tests"u8.ToArray() }));

    private static SoftwareSevPlatform Sev => SoftwareSevPlatformCertificateTests.Platform.Value;

    [Theory]
    [InlineData(CsvMeasurementVariant.NoBuild)]
    [InlineData(CsvMeasurementVariant.Build8)]
    [InlineData(CsvMeasurementVariant.Build32)]
    public void Csv_FullLaunch_MeasuresPerVariantAndDeliversTheSecret(CsvMeasurementVariant variant)
    {
        var platform = SoftwareCsvPlatform.Create(new SoftwarePlatformOptions
        {
            Seed = "csv launch tests"u8.ToArray(),
            CsvVariant = variant,
            Version = new FirmwareVersion(1, 3, 0x1234),
        });
        const uint policy = 0x00010021;
        var session = TestGuestOwner.Csv(platform.PdhCertificate, policy);
        using var launch = platform.LaunchStart(session.Godh, session.Blob, policy);
        launch.UpdateData(Ovmf.AsSpan(0, 1000));
        launch.UpdateData(Ovmf.AsSpan(1000));
        byte[] measurement = launch.Measure();

        Assert.Equal(48, measurement.Length);
        Assert.Equal(Sm3.Hash(Ovmf), launch.LaunchDigest);
        byte[] expected = FirmwareMeasurement.Csv(variant, session.Tik, platform.Version, policy, Sm3.Hash(Ovmf), measurement[32..]);
        Assert.Equal(expected, measurement[..32]);

        var (header, data) = TestGuestOwner.SecretPacket(CsvLaunchCrypto.Instance, session, measurement[..32],
            SecretInjectionTests.Table(0, (LuksGuid, "passphrase"u8.ToArray())));
        var entry = Assert.Single(launch.InjectSecret(header, data));
        Assert.Equal(LuksGuid, entry.Guid);
        Assert.Equal("passphrase"u8.ToArray(), entry.Data);
    }

    [Fact]
    public void Sev_FullLaunch_MeasuresAndDeliversTheSecret()
    {
        // Policy 5 has the ES bit: an SEV-ES launch, whose digest also covers the VMSA pages (here the BSP's and one AP's).
        const uint policy = 0x00000005;
        var session = TestGuestOwner.Sev(Sev.PdhCertificate, policy);
        using var launch = Sev.LaunchStart(session.Godh, session.Blob, policy);
        launch.UpdateData(Ovmf);
        var bsp = SimulatedVcpuState.SaveArea(0, 0x80b004, 0x800f12, SimulatedVmsaLayout.Init2);
        var ap = SimulatedVcpuState.SaveArea(1, 0x80b004, 0x800f12, SimulatedVmsaLayout.Init2);
        launch.UpdateVmsa(bsp);
        launch.UpdateVmsa(ap);
        byte[] measurement = launch.Measure();

        byte[] digest = SHA256.HashData([.. Ovmf, .. bsp, .. ap]);
        Assert.Equal(digest, launch.LaunchDigest);
        Assert.Equal(2, launch.VmsaCount);
        var v = Sev.Version;
        Assert.Equal(FirmwareMeasurement.Sev(session.Tik, v.ApiMajor, v.ApiMinor, (byte)v.BuildId, policy, digest, measurement[32..]),
            measurement[..32]);

        var (header, data) = TestGuestOwner.SecretPacket(SevLaunchCrypto.Instance, session, measurement[..32],
            SecretInjectionTests.Table(0, (LuksGuid, "passphrase"u8.ToArray())));
        Assert.Equal("passphrase"u8.ToArray(), Assert.Single(launch.InjectSecret(header, data)).Data);
    }

    [Fact]
    public void Csv_SessionSignatureOverAlteredBlob_IsRejected()
    {
        var session = TestGuestOwner.Csv(Csv.Value.PdhCertificate, 0);
        session.Blob[0] ^= 1; // nonce, covered by the signature
        AssertFirmwareError(FirmwareError.BadSessionSignature, () => Csv.Value.LaunchStart(session.Godh, session.Blob, 0));
    }

    [Fact]
    public void Csv_SessionSignedWithTheLibraryDefaultId_IsRejected()
    {
        var session = TestGuestOwner.Csv(Csv.Value.PdhCertificate, 0, signingId: "1234567812345678");
        AssertFirmwareError(FirmwareError.BadSessionSignature, () => Csv.Value.LaunchStart(session.Godh, session.Blob, 0));
    }

    [Fact]
    public void Csv_MasterSecretForAnotherPdh_IsRejected()
    {
        var other = SoftwareCsvPlatform.Create(new SoftwarePlatformOptions { Seed = "another csv"u8.ToArray() });
        var session = TestGuestOwner.Csv(other.PdhCertificate, 0);
        AssertFirmwareError(FirmwareError.BadMasterSecret, () => Csv.Value.LaunchStart(session.Godh, session.Blob, 0));
    }

    [Fact]
    public void Csv_AlteredWrappedKeys_FailWrapMac()
    {
        var session = TestGuestOwner.Csv(Csv.Value.PdhCertificate, 0, blob => blob[0x10] ^= 1);
        AssertFirmwareError(FirmwareError.BadWrapMac, () => Csv.Value.LaunchStart(session.Godh, session.Blob, 0));
        var ivTampered = TestGuestOwner.Csv(Csv.Value.PdhCertificate, 0, blob => blob[0x30] ^= 1);
        AssertFirmwareError(FirmwareError.BadWrapMac, () => Csv.Value.LaunchStart(ivTampered.Godh, ivTampered.Blob, 0));
    }

    [Fact]
    public void Csv_OtherPolicyOrAlteredCoveredBytes_FailSessionMac()
    {
        var session = TestGuestOwner.Csv(Csv.Value.PdhCertificate, 1);
        AssertFirmwareError(FirmwareError.BadSessionMac, () => Csv.Value.LaunchStart(session.Godh, session.Blob, 3));
        var covered = TestGuestOwner.Csv(Csv.Value.PdhCertificate, 1, blob => blob[0x2C3] ^= 1); // user_data, inside the session_mac range
        AssertFirmwareError(FirmwareError.BadSessionMac, () => Csv.Value.LaunchStart(covered.Godh, covered.Blob, 1));
    }

    [Fact]
    public void Csv_MalformedInputs_AreRejectedWithReasons()
    {
        var session = TestGuestOwner.Csv(Csv.Value.PdhCertificate, 0);
        AssertFirmwareError(FirmwareError.InvalidLength, () => Csv.Value.LaunchStart(session.Godh, session.Blob[..771], 0));
        AssertFirmwareError(FirmwareError.InvalidCertificate, () => Csv.Value.LaunchStart(session.Godh[..2083], session.Blob, 0));
        byte[] notOnCurve = (byte[])session.Godh.Clone();
        notOnCurve[0x14] ^= 1;
        AssertFirmwareError(FirmwareError.InvalidCertificate, () => Csv.Value.LaunchStart(notOnCurve, session.Blob, 0));
        // A signing-algorithm certificate is not a DH certificate.
        byte[] wrongAlgorithm = (byte[])session.Godh.Clone();
        wrongAlgorithm[0x0C] = 4;
        AssertFirmwareError(FirmwareError.InvalidCertificate, () => Csv.Value.LaunchStart(wrongAlgorithm, session.Blob, 0));
    }

    [Fact]
    public void PolicyAskingForNewerApi_IsRefused()
    {
        const uint policy = 0x00090000; // min API 9.0
        var session = TestGuestOwner.Csv(Csv.Value.PdhCertificate, policy);
        AssertFirmwareError(FirmwareError.PolicyUnsupported, () => Csv.Value.LaunchStart(session.Godh, session.Blob, policy));
        var sev = TestGuestOwner.Sev(Sev.PdhCertificate, policy);
        AssertFirmwareError(FirmwareError.PolicyUnsupported, () => Sev.LaunchStart(sev.Godh, sev.Blob, policy));
    }

    [Fact]
    public void Sev_OtherPolicy_FailsPolicyMac()
    {
        var session = TestGuestOwner.Sev(Sev.PdhCertificate, 1);
        AssertFirmwareError(FirmwareError.BadPolicyMac, () => Sev.LaunchStart(session.Godh, session.Blob, 0));
    }

    [Theory]
    [InlineData(0)]    // nonce: another master secret
    [InlineData(16)]   // wrap_tk
    [InlineData(64)]   // wrap_mac
    public void Sev_AlteredSession_FailsWrapMac(int offset)
    {
        var session = TestGuestOwner.Sev(Sev.PdhCertificate, 0, blob => blob[offset] ^= 1);
        AssertFirmwareError(FirmwareError.BadWrapMac, () => Sev.LaunchStart(session.Godh, session.Blob, 0));
    }

    [Fact]
    public void Sev_MalformedGodh_IsRejected()
    {
        var session = TestGuestOwner.Sev(Sev.PdhCertificate, 0);
        byte[] notOnCurve = (byte[])session.Godh.Clone();
        notOnCurve[0x14] ^= 1;
        AssertFirmwareError(FirmwareError.InvalidCertificate, () => Sev.LaunchStart(notOnCurve, session.Blob, 0));
        byte[] wrongCurve = (byte[])session.Godh.Clone();
        wrongCurve[0x10] = 1;
        AssertFirmwareError(FirmwareError.InvalidCertificate, () => Sev.LaunchStart(wrongCurve, session.Blob, 0));
        AssertFirmwareError(FirmwareError.InvalidLength, () => Sev.LaunchStart(session.Godh, session.Blob[..127], 0));
    }

    [Fact]
    public void Launch_EnforcesCommandOrder()
    {
        var session = TestGuestOwner.Sev(Sev.PdhCertificate, 0);
        using var launch = Sev.LaunchStart(session.Godh, session.Blob, 0);
        AssertFirmwareError(FirmwareError.InvalidState, () => launch.InjectSecret(new byte[52], new byte[16]));
        AssertFirmwareError(FirmwareError.InvalidState, () => launch.LaunchDigest);
        launch.Measure();
        AssertFirmwareError(FirmwareError.InvalidState, () => launch.Measure());
        AssertFirmwareError(FirmwareError.InvalidState, () => launch.UpdateData([1]));
    }

    [Fact]
    public void Secret_TamperedOrForAnotherMeasure_IsRejected()
    {
        var session = TestGuestOwner.Csv(Csv.Value.PdhCertificate, 0);
        using var launch = Csv.Value.LaunchStart(session.Godh, session.Blob, 0);
        byte[] measure = launch.Measure()[..32];
        byte[] table = SecretInjectionTests.Table(0, (LuksGuid, new byte[40]));

        var (header, data) = TestGuestOwner.SecretPacket(CsvLaunchCrypto.Instance, session, measure, table);
        data[5] ^= 1;
        AssertFirmwareError(FirmwareError.BadSecretMac, () => launch.InjectSecret(header, data));

        byte[] otherMeasure = (byte[])measure.Clone();
        otherMeasure[0] ^= 1;
        (header, data) = TestGuestOwner.SecretPacket(CsvLaunchCrypto.Instance, session, otherMeasure, table);
        AssertFirmwareError(FirmwareError.BadSecretMac, () => launch.InjectSecret(header, data));

        // MAC under the right keys but over a malformed table: the guest's parser rejects it.
        byte[] badTable = (byte[])table.Clone();
        badTable[16] = 19;
        (header, data) = TestGuestOwner.SecretPacket(CsvLaunchCrypto.Instance, session, measure, badTable);
        AssertFirmwareError(FirmwareError.MalformedSecretTable, () => launch.InjectSecret(header, data));
    }

    [Fact]
    public void Secret_LargerThanTheArea_IsRejected()
    {
        var platform = SoftwareCsvPlatform.Create(new SoftwarePlatformOptions { Seed = "csv launch tests"u8.ToArray(), SecretAreaSize = 64 });
        var session = TestGuestOwner.Csv(platform.PdhCertificate, 0);
        using var launch = platform.LaunchStart(session.Godh, session.Blob, 0);
        byte[] measure = launch.Measure()[..32];

        var (header, data) = TestGuestOwner.SecretPacket(CsvLaunchCrypto.Instance, session, measure,
            SecretInjectionTests.Table(0, (LuksGuid, new byte[30])));
        Assert.Equal(80, data.Length);
        AssertFirmwareError(FirmwareError.SecretAreaTooSmall, () => launch.InjectSecret(header, data));

        (header, data) = TestGuestOwner.SecretPacket(CsvLaunchCrypto.Instance, session, measure,
            SecretInjectionTests.Table(0, (LuksGuid, new byte[20])));
        Assert.Single(launch.InjectSecret(header, data));
    }

    private static void AssertFirmwareError(FirmwareError expected, Func<object?> action)
    {
        var e = Assert.Throws<FirmwareException>(action);
        Assert.Equal(expected, e.Error);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }

    private static void AssertFirmwareError(FirmwareError expected, Action action) =>
        AssertFirmwareError(expected, () => { action(); return null; });
}
