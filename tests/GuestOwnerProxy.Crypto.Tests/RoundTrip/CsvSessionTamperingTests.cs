using System.Text;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;
using Org.BouncyCastle.Crypto.Parameters;
using S = GuestOwnerProxy.Crypto.Csv.CsvSessionLayout;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>
/// LAUNCH_START on the CSV firmware must refuse a core-built session with any byte altered. Two layers:
/// as sent (the GODH signature covers bytes [0, 0x2C4) and catches everything), and re-signed with the
/// session's own GODH key, which shows that each inner check of the firmware (wrap_mac, ms_enc,
/// session_mac) agrees with what the core wrote and covers what csv.md says it covers.
/// </summary>
public class CsvSessionTamperingTests
{
    private const uint Policy = 0x00000021;
    private static readonly CsvPlatformProfile Profile = CsvPlatformProfile.Instance;

    /// <summary>Every field of the blob, with the firmware's verdict once the blob is re-signed.</summary>
    public static TheoryData<string, int, int, FirmwareError?> Regions => new()
    {
        // The firmware receives the master secret itself (ms_enc): the nonce, its KDF context on the owner's
        // side, reaches the firmware only through the signature.
        { "nonce", S.Nonce, S.NonceSize, null },
        { "wrap_tk", S.WrapTk, S.WrapTkSize, FirmwareError.BadWrapMac },
        { "wrap_iv", S.WrapIv, S.WrapIvSize, FirmwareError.BadWrapMac },        // CSV's wrap_mac covers the IV
        { "wrap_mac", S.WrapMac, S.WrapMacSize, FirmwareError.BadWrapMac },
        { "session_mac", S.SessionMac, S.SessionMacSize, FirmwareError.BadSessionMac },
        { "key_id", S.KeyId, S.KeyIdSize, null },                               // legacy: only the signature covers it
        { "rnd_pub_key_data", S.RndPubKeyData, S.RndPubKeyDataSize, null },
        { "ms_enc", S.MsEnc, S.MsEncUsed, FirmwareError.BadMasterSecret },
        { "ms_enc padding", S.MsEnc + S.MsEncUsed, S.MsEncSize - S.MsEncUsed, FirmwareError.BadSessionMac },
        { "vm_digest", S.VmDigest, S.VmDigestSize, FirmwareError.BadSessionMac },
        { "pubkey_digest", S.PubkeyDigest, S.PubkeyDigestSize, FirmwareError.BadSessionMac },
        { "vm_id", S.VmId, S.VmIdSize, FirmwareError.BadSessionMac },
        { "vm_version", S.VmVersion, S.VmVersionSize, FirmwareError.BadSessionMac },
        { "user_data", S.UserData, S.UserDataSize, FirmwareError.BadSessionMac },
        { "signature r", S.SignatureR, S.SignatureScalarSize, null },
        { "signature s", S.SignatureS, S.SignatureScalarSize, null },
    };

    [Fact]
    public void Regions_CoverTheWholeBlob()
    {
        var covered = new bool[S.Size];
        foreach (var row in Regions)
        {
            int offset = (int)row[1]!, size = (int)row[2]!;
            for (int i = offset; i < offset + size; i++)
            {
                Assert.False(covered[i], $"offset 0x{i:x3} is in two regions");
                covered[i] = true;
            }
        }
        Assert.All(covered, Assert.True);
    }

    [Theory]
    [MemberData(nameof(Regions))]
    public void AnyAlteredByte_FailsTheSessionSignature(string region, int offset, int size, FirmwareError? whenResigned)
    {
        var (platform, pdh) = Platform();
        _ = whenResigned; // the signature catches every byte before any inner check runs
        var random = new RoundTripRandom($"csv/tamper/{region}");
        using var session = Profile.CreateSession(pdh, Policy, random);
        using (platform.LaunchStart(session.GodhCertificate, session.SessionBlob, Policy)) { }
        foreach (int i in Offsets(offset, size, random))
        {
            byte[] blob = Flip(session.SessionBlob, i, random);
            FirmwareAssert.Refuses(FirmwareError.BadSessionSignature, $"{region} byte 0x{i:x3} altered",
                () => platform.LaunchStart(session.GodhCertificate, blob, Policy));
        }
    }

    [Theory]
    [MemberData(nameof(Regions))]
    public void AnyAlteredByte_ReSigned_FailsTheInnerCheckThatCoversIt(string region, int offset, int size, FirmwareError? expected)
    {
        if (offset >= S.SignedLength)
            return; // the signature itself: nothing to re-sign
        var (platform, pdh) = Platform();
        string label = $"csv/tamper-resigned/{region}";
        using var session = Profile.CreateSession(pdh, Policy, new RoundTripRandom(label));
        var godhKey = RecoverGodhPrivateKey(label, session.GodhCertificate);
        var random = new RoundTripRandom(label + "/flips");
        foreach (int i in Offsets(offset, size, random))
        {
            byte[] blob = Flip(session.SessionBlob, i, random);
            ReSign(blob, godhKey, random);
            string what = $"{region} byte 0x{i:x3} altered and re-signed";
            if (expected is { } error)
                FirmwareAssert.Refuses(error, what, () => platform.LaunchStart(session.GodhCertificate, blob, Policy));
            else
                platform.LaunchStart(session.GodhCertificate, blob, Policy).Dispose();
        }
    }

    [Fact]
    public void AlteredGodhKeyOrId_IsRefused()
    {
        var (platform, pdh) = Platform();
        var random = new RoundTripRandom("csv/tamper/godh");
        using var session = Profile.CreateSession(pdh, Policy, random);
        // Qx and Qy: 72-byte little-endian fields at 0x14 and 0x5C of which the first 32 bytes are the coordinate.
        foreach (int field in (int[])[0x14, 0x5C])
        {
            for (int i = field; i < field + Sm2.ScalarSize; i++)
            {
                byte[] godh = Flip(session.GodhCertificate, i, random);
                FirmwareAssert.Refuses(FirmwareError.InvalidCertificate, $"GODH key byte 0x{i:x3} altered",
                    () => platform.LaunchStart(godh, session.SessionBlob, Policy));
            }
        }
        // Another valid key: the signature no longer verifies.
        using var other = Profile.CreateSession(pdh, Policy, new RoundTripRandom("csv/tamper/godh/other"));
        FirmwareAssert.Refuses(FirmwareError.BadSessionSignature, "GODH of another session",
            () => platform.LaunchStart(other.GodhCertificate, session.SessionBlob, Policy));
        // The GODH's user id must be GUEST_USER_ID: any other is refused as a certificate error.
        byte[] renamed = (byte[])session.GodhCertificate.Clone();
        renamed[0xA6] ^= 0x20; // 'G' -> 'g'
        FirmwareAssert.Refuses(FirmwareError.InvalidCertificate, "GODH user id altered",
            () => platform.LaunchStart(renamed, session.SessionBlob, Policy));
        // A signing key is not a DH key.
        byte[] signingKey = (byte[])session.GodhCertificate.Clone();
        signingKey[0x0C] = 4;
        FirmwareAssert.Refuses(FirmwareError.InvalidCertificate, "GODH algorithm 4",
            () => platform.LaunchStart(signingKey, session.SessionBlob, Policy));
    }

    [Fact]
    public void SessionForAnotherPdh_FailsToDecryptTheMasterSecret()
    {
        var (platform, _) = Platform();
        var other = SimulatedPlatforms.OtherCsv;
        using var session = Profile.CreateSession(other.PdhCertificate, Policy, new RoundTripRandom("csv/tamper/other-pdh"));
        FirmwareAssert.Refuses(FirmwareError.BadMasterSecret, "session for another platform's PDH",
            () => platform.LaunchStart(session.GodhCertificate, session.SessionBlob, Policy));
    }

    [Fact]
    public void WrongPolicy_FailsTheSessionMac()
    {
        var (platform, pdh) = Platform();
        using var session = Profile.CreateSession(pdh, Policy, new RoundTripRandom("csv/tamper/policy"));
        for (int bit = 0; bit < 32; bit++)
        {
            uint wrong = Policy ^ (1u << bit);
            FirmwareAssert.Refuses(FirmwareError.BadSessionMac, $"policy 0x{wrong:x8} instead of 0x{Policy:x8}",
                () => platform.LaunchStart(session.GodhCertificate, session.SessionBlob, wrong));
        }
        using (platform.LaunchStart(session.GodhCertificate, session.SessionBlob, Policy)) { }
    }

    [Fact]
    public void PolicyAskingForANewerApi_IsRefusedEvenWhenAuthentic()
    {
        var (platform, pdh) = Platform();
        uint policy = (uint)(platform.Version.ApiMajor + 1) << 16;
        using var session = Profile.CreateSession(pdh, policy, new RoundTripRandom("csv/tamper/api"));
        FirmwareAssert.Refuses(FirmwareError.PolicyUnsupported, $"policy 0x{policy:x8} on API {platform.Version}",
            () => platform.LaunchStart(session.GodhCertificate, session.SessionBlob, policy));
    }

    private static (SoftwareCsvPlatform Platform, byte[] Pdh) Platform()
    {
        var platform = SimulatedPlatforms.CsvDefault;
        return (platform, platform.PdhCertificate);
    }

    /// <summary>First, middle and last byte of a region plus a few random ones.</summary>
    internal static IEnumerable<int> Offsets(int offset, int size, RoundTripRandom random)
    {
        var set = new SortedSet<int> { offset, offset + size / 2, offset + size - 1 };
        for (int k = 0; k < 3; k++)
            set.Add(offset + random.Next(size));
        return set;
    }

    [Fact]
    public void SessionSignature_IsCheckedUnderTheFixedGuestUserId_NotTheGodhsOwnField()
    {
        const string label = "csv/tamper/godh-id";
        var (platform, pdh) = Platform();
        var random = new RoundTripRandom(label);
        using var session = Profile.CreateSession(pdh, Policy, random);
        var key = RecoverGodhPrivateKey(label, session.GodhCertificate);
        var godh = CsvCertificate.Parse(session.GodhCertificate, "GODH");

        // Same key, signed under the library default ID: the firmware uses "GUEST_USER_ID", so this fails.
        byte[] defaultId = (byte[])session.SessionBlob.Clone();
        ReSign(defaultId, key, "1234567812345678", new RoundTripRandom(label + "/k1"));
        FirmwareAssert.Refuses(FirmwareError.BadSessionSignature, "session signed under the default SM2 ID",
            () => platform.LaunchStart(session.GodhCertificate, defaultId, Policy));

        // A GODH claiming another user id, with the session signed consistently under that id: a firmware that took
        // the ID from the certificate would accept it; the real one (and the simulator) refuses the GODH.
        var (x, y) = Sm2.ExportPublicKey(godh.PublicKey);
        var otherId = CsvCertificate.Create(1, 0, 0, CsvUsage.Pdh, CsvAlgorithm.Sm2KeyExchange, x, y, "OTHER_USER_ID"u8);
        byte[] otherBlob = (byte[])session.SessionBlob.Clone();
        ReSign(otherBlob, key, "OTHER_USER_ID", new RoundTripRandom(label + "/k2"));
        var e = Assert.Throws<FirmwareException>(() => platform.LaunchStart(otherId.ToArray(), otherBlob, Policy));
        Assert.Equal(FirmwareError.InvalidCertificate, e.Error);
        Assert.Contains("GUEST_USER_ID", e.Message);

        // Control: re-signed under GUEST_USER_ID with the original GODH, the session is accepted.
        byte[] resigned = (byte[])session.SessionBlob.Clone();
        ReSign(resigned, key, S.GodhUserId, new RoundTripRandom(label + "/k3"));
        using var launch = platform.LaunchStart(session.GodhCertificate, resigned, Policy);
    }

    /// <summary>A copy with byte <paramref name="index"/> changed by a random non-zero XOR mask.</summary>
    internal static byte[] Flip(byte[] original, int index, RoundTripRandom random)
    {
        byte[] copy = (byte[])original.Clone();
        copy[index] ^= (byte)random.Next(1, 256);
        return copy;
    }

    /// <summary>
    /// The GODH private key is the sixth draw of the session's random stream (after z, nonce, wrap_iv, TEK and
    /// TIK, 80 bytes: see CsvSessionBuilder); replaying the stream recovers it. Checked against the certificate,
    /// so a change in the builder's draw order fails here and not with a misleading firmware error.
    /// </summary>
    private static ECPrivateKeyParameters RecoverGodhPrivateKey(string label, byte[] godhCertificate)
    {
        var replay = new RoundTripRandom(label);
        replay.Bytes(5 * 16);
        var keys = Sm2.GenerateKeyPair(replay);
        var godh = CsvCertificate.Parse(godhCertificate, "GODH");
        Assert.True(godh.PublicKey.Q.Equals(((ECPublicKeyParameters)keys.Public).Q),
            "replaying the session's random stream did not reproduce the GODH key (CsvSessionBuilder's draw order changed?)");
        return (ECPrivateKeyParameters)keys.Private;
    }

    private static void ReSign(byte[] blob, ECPrivateKeyParameters key, RoundTripRandom random) =>
        ReSign(blob, key, S.GodhUserId, random);

    private static void ReSign(byte[] blob, ECPrivateKeyParameters key, string sm2Id, RoundTripRandom random)
    {
        var (r, s) = Sm2.Sign(key, Encoding.ASCII.GetBytes(sm2Id), blob.AsSpan(0, S.SignedLength), random);
        r.AsSpan().Reverse();
        s.AsSpan().Reverse();
        r.CopyTo(blob, S.SignatureR);
        s.CopyTo(blob, S.SignatureS);
    }
}
