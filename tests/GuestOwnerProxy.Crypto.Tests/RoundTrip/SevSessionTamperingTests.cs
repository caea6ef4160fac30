using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>
/// LAUNCH_START on the SEV firmware must refuse a core-built session with any byte altered. There is no
/// signature: each byte is caught by wrap_mac (nonce, wrap_tk, wrap_mac) or, because an altered wrap_iv
/// unwraps other keys, by policy_mac.
/// </summary>
public class SevSessionTamperingTests
{
    private const uint Policy = 0x00000005;
    private static readonly SevPlatformProfile Profile = SevPlatformProfile.Instance;

    [Fact]
    public void EveryAlteredByte_IsRefusedByTheCheckThatCoversIt()
    {
        var platform = SimulatedPlatforms.Sev;
        var random = new RoundTripRandom("sev/tamper/blob");
        using var session = Profile.CreateSession(platform.PdhCertificate, Policy, random);
        using (platform.LaunchStart(session.GodhCertificate, session.SessionBlob, Policy)) { }
        Assert.Equal(SevSessionBlobLayout.Size, session.SessionBlob.Length);
        for (int i = 0; i < SevSessionBlobLayout.Size; i++)
        {
            var (region, expected) = Region(i);
            byte[] blob = CsvSessionTamperingTests.Flip(session.SessionBlob, i, random);
            FirmwareAssert.Refuses(expected, $"{region} byte {i} altered",
                () => platform.LaunchStart(session.GodhCertificate, blob, Policy));
        }
    }

    [Fact]
    public void AlteredGodhKey_IsRefused()
    {
        var platform = SimulatedPlatforms.Sev;
        var random = new RoundTripRandom("sev/tamper/godh");
        using var session = Profile.CreateSession(platform.PdhCertificate, Policy, random);
        // X and Y: 72-byte little-endian fields at 0x14 and 0x5C; P-384 uses 48 bytes, the rest must stay zero.
        foreach (int field in (int[])[0x14, 0x5C])
        {
            for (int i = field; i < field + 72; i++)
            {
                byte[] godh = CsvSessionTamperingTests.Flip(session.GodhCertificate, i, random);
                FirmwareAssert.Refuses(FirmwareError.InvalidCertificate, $"GODH key byte 0x{i:x3} altered",
                    () => platform.LaunchStart(godh, session.SessionBlob, Policy));
            }
        }
        // A valid key of another session: another shared secret, so the wrapped keys do not authenticate.
        using var other = Profile.CreateSession(platform.PdhCertificate, Policy, new RoundTripRandom("sev/tamper/godh/other"));
        FirmwareAssert.Refuses(FirmwareError.BadWrapMac, "GODH of another session",
            () => platform.LaunchStart(other.GodhCertificate, session.SessionBlob, Policy));
    }

    [Fact]
    public void SessionForAnotherPdh_IsRefused()
    {
        var other = SimulatedPlatforms.OtherSev;
        using var session = Profile.CreateSession(other.PdhCertificate, Policy, new RoundTripRandom("sev/tamper/other-pdh"));
        FirmwareAssert.Refuses(FirmwareError.BadWrapMac, "session for another platform's PDH",
            () => SimulatedPlatforms.Sev.LaunchStart(session.GodhCertificate, session.SessionBlob, Policy));
    }

    [Fact]
    public void WrongPolicy_FailsThePolicyMac()
    {
        var platform = SimulatedPlatforms.Sev;
        using var session = Profile.CreateSession(platform.PdhCertificate, Policy, new RoundTripRandom("sev/tamper/policy"));
        for (int bit = 0; bit < 32; bit++)
        {
            uint wrong = Policy ^ (1u << bit);
            FirmwareAssert.Refuses(FirmwareError.BadPolicyMac, $"policy 0x{wrong:x8} instead of 0x{Policy:x8}",
                () => platform.LaunchStart(session.GodhCertificate, session.SessionBlob, wrong));
        }
        using (platform.LaunchStart(session.GodhCertificate, session.SessionBlob, Policy)) { }
    }

    [Fact]
    public void PolicyAskingForANewerApi_IsRefusedEvenWhenAuthentic()
    {
        var platform = SimulatedPlatforms.Sev;
        uint policy = (uint)(platform.Version.ApiMinor + 1) << 24; // min API 0.(minor+1)
        using var session = Profile.CreateSession(platform.PdhCertificate, policy, new RoundTripRandom("sev/tamper/api"));
        FirmwareAssert.Refuses(FirmwareError.PolicyUnsupported, $"policy 0x{policy:x8} on API {platform.Version}",
            () => platform.LaunchStart(session.GodhCertificate, session.SessionBlob, policy));
    }

    private static (string Region, FirmwareError Expected) Region(int offset) => offset switch
    {
        < SevSessionBlobLayout.WrapTk => ("nonce", FirmwareError.BadWrapMac),
        < SevSessionBlobLayout.WrapIv => ("wrap_tk", FirmwareError.BadWrapMac),
        < SevSessionBlobLayout.WrapMac => ("wrap_iv", FirmwareError.BadPolicyMac),
        < SevSessionBlobLayout.PolicyMac => ("wrap_mac", FirmwareError.BadWrapMac),
        _ => ("policy_mac", FirmwareError.BadPolicyMac),
    };
}
