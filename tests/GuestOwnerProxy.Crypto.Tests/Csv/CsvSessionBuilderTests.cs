using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Platform.Csv;
using Org.BouncyCastle.Crypto.Engines;
using Xunit.Abstractions;
using S = GuestOwnerProxy.Crypto.Csv.CsvSessionLayout;

namespace GuestOwnerProxy.Crypto.Tests.Csv;

public class CsvSessionBuilderTests(ITestOutputHelper output)
{
    private static readonly TestCsvChain Chain = new(11);
    private const uint Policy = 0x0001_0041;

    private static LaunchSession NewSession(ulong seed, uint policy = Policy) =>
        CsvSessionBuilder.Default.Create(Chain.Pdh, policy, new SeededRandom(seed));

    [Fact]
    public void LayoutOffsetsAreTheSpecOnes()
    {
        Assert.Equal(772, S.Size);
        Assert.Equal(0x2C4, S.SignatureR);
        Assert.Equal(0x2E4 + 32, S.Size);
        Assert.Equal(S.WrapTk, S.Nonce + S.NonceSize);
        Assert.Equal(S.WrapIv, S.WrapTk + S.WrapTkSize);
        Assert.Equal(S.WrapMac, S.WrapIv + S.WrapIvSize);
        Assert.Equal(S.SessionMac, S.WrapMac + S.WrapMacSize);
        Assert.Equal(S.KeyId, S.SessionMac + S.SessionMacSize);
        Assert.Equal(S.RndPubKeyData, S.KeyId + S.KeyIdSize);
        Assert.Equal(S.MsEnc, S.RndPubKeyData + S.RndPubKeyDataSize);
        Assert.Equal(S.VmDigest, S.MsEnc + S.MsEncSize);
        Assert.Equal(S.PubkeyDigest, S.VmDigest + S.VmDigestSize);
        Assert.Equal(S.VmId, S.PubkeyDigest + S.PubkeyDigestSize);
        Assert.Equal(S.VmVersion, S.VmId + S.VmIdSize);
        Assert.Equal(S.UserData, S.VmVersion + S.VmVersionSize);
        Assert.Equal(S.SignatureR, S.UserData + S.UserDataSize);
        Assert.Equal(420, 4 + S.SessionMacEnd - S.SessionMacStart);
        Assert.Equal(708, S.SignedLength);
        Assert.Equal(129, S.MsEncUsed);
    }

    [Fact]
    public void SessionShape_GodhAndBlob()
    {
        using var session = NewSession(100);
        Assert.Equal(PlatformKind.Csv, session.Platform);
        Assert.Equal(Policy, session.Policy);
        Assert.Equal(S.Size, session.SessionBlob.Length);
        Assert.Equal(CsvCertificate.Size, session.GodhCertificate.Length);

        var godh = CsvCertificate.Parse(session.GodhCertificate, "GODH");
        Assert.Equal(1u, godh.Version);
        Assert.Equal(0, godh.ApiMajor);
        Assert.Equal(0, godh.ApiMinor);
        Assert.Equal(CsvUsage.Pdh, godh.Usage);
        Assert.Equal(5u, (uint)godh.Algorithm);
        Assert.Equal(CsvCurve.Sm2P256, godh.Curve);
        Assert.Equal("GUEST_USER_ID", godh.UserId);
        Assert.Equal(13, BinaryPrimitives.ReadUInt16LittleEndian(session.GodhCertificate.AsSpan(CsvCertificateLayout.Platform.UserIdLength)));
        foreach (var slot in godh.Signatures)
        {
            Assert.Equal(0x1000u, (uint)slot.Usage);
            Assert.Equal(0u, (uint)slot.Algorithm);
        }
        Assert.True(Sm2.IsValidPublicKey(godh.PublicKeyX, godh.PublicKeyY));

        var blob = session.SessionBlob;
        AssertZero(blob, S.KeyId, S.KeyIdSize + S.RndPubKeyDataSize);
        AssertZero(blob, S.VmDigest, S.SignatureR - S.VmDigest);
        Assert.Equal(0x04, blob[S.MsEnc]);
        AssertZero(blob, S.MsEnc + S.MsEncUsed, S.MsEncSize - S.MsEncUsed);
    }

    [Fact]
    public void FixedRandomSourceGivesTheSameSession_AndAllRandomnessComesFromIt()
    {
        using var a = NewSession(5);
        using var b = NewSession(5);
        using var c = NewSession(6);
        Assert.Equal(Vectors.ToHex(a.SessionBlob), Vectors.ToHex(b.SessionBlob));
        Assert.Equal(Vectors.ToHex(a.GodhCertificate), Vectors.ToHex(b.GodhCertificate));
        Assert.Equal(Vectors.ToHex(a.Tek), Vectors.ToHex(b.Tek));
        Assert.Equal(Vectors.ToHex(a.Tik), Vectors.ToHex(b.Tik));
        Assert.NotEqual(Vectors.ToHex(a.SessionBlob), Vectors.ToHex(c.SessionBlob));
        Assert.NotEqual(Vectors.ToHex(a.Tek), Vectors.ToHex(a.Tik));

        // The first draws are z, nonce, wrap_iv, TEK, TIK in that order.
        var expected = new SeededRandom(5);
        var draws = new byte[5][];
        for (int i = 0; i < 5; i++)
            expected.Fill(draws[i] = new byte[16]);
        Assert.Equal(Vectors.ToHex(draws[1]), Vectors.ToHex(a.SessionBlob.AsSpan(S.Nonce, 16)));
        Assert.Equal(Vectors.ToHex(draws[2]), Vectors.ToHex(a.SessionBlob.AsSpan(S.WrapIv, 16)));
        Assert.Equal(Vectors.ToHex(draws[3]), Vectors.ToHex(a.Tek));
        Assert.Equal(Vectors.ToHex(draws[4]), Vectors.ToHex(a.Tik));
    }

    [Fact]
    public void PdhHolderRecoversTekTik_AndMacsAndSignatureCheck()
    {
        using var session = NewSession(42);
        var blob = session.SessionBlob;

        // Decrypt ms_enc with the PDH private key using BouncyCastle directly (not our Sm2 helper).
        var engine = new SM2Engine(SM2Engine.Mode.C1C3C2);
        engine.Init(false, Chain.PdhKey.Private);
        byte[] master = engine.ProcessBlock(blob, S.MsEnc, S.MsEncUsed);
        Assert.Equal(32, master.Length);

        // The firmware side, with the simulator's independent KDF, HMAC-SM3 and SM4-CTR (not the code under test).
        var kek = CsvFirmwareKdf.Derive(master, 32, [], "csv-kek")[..16];
        var kik = CsvFirmwareKdf.Derive(master, 32, [], "csv-kik");
        Assert.Equal(Vectors.ToHex(kek), Vectors.ToHex(CsvKdf.Kek(master)));
        Assert.Equal(Vectors.ToHex(kik), Vectors.ToHex(CsvKdf.Kik(master)));

        var wrapIv = blob.AsSpan(S.WrapIv, 16).ToArray();
        var wrapTk = blob.AsSpan(S.WrapTk, 32).ToArray();
        Assert.Equal(Vectors.ToHex(FirmwareCrypto.HmacSm3(kik, [.. wrapIv, .. wrapTk])), Vectors.ToHex(blob.AsSpan(S.WrapMac, 32)));

        var tekTik = new byte[32];
        FirmwareCrypto.Sm4Ctr(kek, wrapIv, wrapTk, tekTik);
        Assert.Equal(Vectors.ToHex(session.Tek), Vectors.ToHex(tekTik.AsSpan(0, 16)));
        Assert.Equal(Vectors.ToHex(session.Tik), Vectors.ToHex(tekTik.AsSpan(16, 16)));

        var macInput = new byte[420];
        BinaryPrimitives.WriteUInt32LittleEndian(macInput, Policy);
        blob.AsSpan(0x124, 0x2C4 - 0x124).CopyTo(macInput.AsSpan(4));
        Assert.Equal(Vectors.ToHex(FirmwareCrypto.HmacSm3(tekTik.AsSpan(16, 16), macInput)), Vectors.ToHex(blob.AsSpan(S.SessionMac, 32)));

        // Signature: r, s little-endian, by the GODH key with SM2 ID "GUEST_USER_ID".
        var godh = CsvCertificate.Parse(session.GodhCertificate, "GODH");
        var r = blob.AsSpan(S.SignatureR, 32).ToArray();
        var s = blob.AsSpan(S.SignatureS, 32).ToArray();
        r.AsSpan().Reverse();
        s.AsSpan().Reverse();
        var signed = blob.AsSpan(0, 0x2C4).ToArray();
        Assert.True(Sm2.Verify(godh.PublicKey, "GUEST_USER_ID"u8, signed, r, s));
        Assert.False(Sm2.Verify(godh.PublicKey, "1234567812345678"u8, signed, r, s));
        signed[S.SessionMac] ^= 1;
        Assert.False(Sm2.Verify(godh.PublicKey, "GUEST_USER_ID"u8, signed, r, s));
    }

    [Fact]
    public void PolicyIsBoundBySessionMac()
    {
        using var a = NewSession(9, policy: 0x01);
        using var b = NewSession(9, policy: 0x03);
        Assert.Equal(Vectors.ToHex(a.SessionBlob.AsSpan(0, S.SessionMac)), Vectors.ToHex(b.SessionBlob.AsSpan(0, S.SessionMac)));
        Assert.NotEqual(Vectors.ToHex(a.SessionBlob.AsSpan(S.SessionMac, 32)), Vectors.ToHex(b.SessionBlob.AsSpan(S.SessionMac, 32)));
        Assert.Equal(Vectors.ToHex(CsvSessionBuilder.SessionMac(b.Tik, 0x03, b.SessionBlob)), Vectors.ToHex(b.SessionBlob.AsSpan(S.SessionMac, 32)));
    }

    [Fact]
    public void MsEncIsAlwaysFullLength_EvenWithLeadingZeroCoordinates()
    {
        int leadingZeroX = 0, leadingZeroY = 0, sessions = 0;
        for (ulong seed = 1000; sessions < 200 || leadingZeroX == 0 || leadingZeroY == 0; seed++)
        {
            Assert.True(seed < 6000, "no session with a leading zero byte in x1 and in y1 found");
            using var session = NewSession(seed);
            var msEnc = session.SessionBlob.AsSpan(S.MsEnc, S.MsEncSize);
            sessions++;

            Assert.Equal(0x04, msEnc[0]);
            var x1 = msEnc.Slice(1, 32);
            var y1 = msEnc.Slice(33, 32);
            Assert.True(Sm2.IsValidPublicKey(x1, y1), $"seed {seed}: C1 is not a curve point at 0x04 ‖ 32 ‖ 32");
            Assert.True(msEnc[S.MsEncUsed..].IndexOfAnyExcept((byte)0) < 0, $"seed {seed}: ms_enc padding is not zero");
            if (x1[0] == 0) leadingZeroX++;
            if (y1[0] == 0) leadingZeroY++;

            if (x1[0] == 0 || y1[0] == 0)
            {
                var engine = new SM2Engine(SM2Engine.Mode.C1C3C2);
                engine.Init(false, Chain.PdhKey.Private);
                Assert.Equal(32, engine.ProcessBlock(msEnc[..S.MsEncUsed].ToArray(), 0, S.MsEncUsed).Length);
            }
        }
        Assert.True(leadingZeroX > 0 && leadingZeroY > 0, $"{sessions} sessions");
        output.WriteLine($"ms_enc: {sessions} sessions, {leadingZeroX} with x1[0] = 0, {leadingZeroY} with y1[0] = 0");
    }

    [Fact]
    public void Sm2EncryptDecryptRoundTrip_AndTamperingIsDetected()
    {
        var random = new SeededRandom(77);
        var plaintext = new byte[32];
        random.Fill(plaintext);
        var ct = Sm2.Encrypt(Chain.PdhKey.Public, plaintext, random);
        Assert.Equal(129, ct.Length);
        Assert.Equal(Vectors.ToHex(plaintext), Vectors.ToHex(Sm2.Decrypt(Chain.PdhKey.Private, ct)));
        ct[^1] ^= 1;
        Assert.Throws<CryptoFormatException>(() => Sm2.Decrypt(Chain.PdhKey.Private, ct));
        Assert.Throws<CryptoFormatException>(() => Sm2.Decrypt(Chain.PdhKey.Private, ct.AsSpan(0, 97)));
    }

    [Fact]
    public void RejectsNonPdhAndBadBytes()
    {
        var e = Assert.Throws<InvalidCertificateException>(() => CsvSessionBuilder.Default.Create(Chain.Pek, 0, new SeededRandom(1)));
        Assert.Contains("0x1002", e.Message);
        Assert.Throws<InvalidCertificateException>(() => CsvSessionBuilder.Default.Create(new byte[100], 0, new SeededRandom(1)));

        var offCurve = Chain.Pdh.ToArray();
        offCurve[CsvCertificateLayout.Platform.PublicKeyX] ^= 1;
        e = Assert.Throws<InvalidCertificateException>(() => CsvSessionBuilder.Default.Create(offCurve, 0, new SeededRandom(1)));
        Assert.Contains("not a point", e.Message);
    }

    [Fact]
    public void MasterSecretKdf_MatchesTheIndependentImplementationAndVectorH1()
    {
        var zero = new byte[16];
        Assert.Equal("19e8d550e3a799b2917bc59146aaadae", Vectors.ToHex(CsvKdf.Derive(zero, 16, zero, "csv-master-secret")));
        var z = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
        var nonce = Convert.FromHexString("f0e0d0c0b0a090807060504030201000");
        Assert.Equal(Vectors.ToHex(CsvFirmwareKdf.Derive(z, 32, nonce, "csv-master-secret")), Vectors.ToHex(CsvKdf.MasterSecret(z, nonce)));
    }

    [Fact]
    public void SessionToStringAndExceptionsDoNotLeakKeys()
    {
        var platform = SoftwareCsvPlatform.Create(new SoftwarePlatformOptions { Seed = "leak check"u8.ToArray() });
        using var session = CsvSessionBuilder.Default.Create(platform.PdhCertificate, Policy, new SeededRandom(3));
        var secrets = new[] { session.Tek.ToArray(), session.Tik.ToArray() }
            .SelectMany(k => new[] { Convert.ToHexString(k).ToLowerInvariant(), Convert.ToBase64String(k) })
            .ToList();
        var texts = new List<string> { session.ToString()! };

        // Failing paths that see this session's keys or blob: firmware checks, builder and verifier refusals.
        void Capture(Action action)
        {
            var e = Record.Exception(action);
            Assert.NotNull(e);
            for (var x = e; x is not null; x = x.InnerException)
                texts.Add(x.ToString());
        }
        Capture(() => platform.LaunchStart(session.GodhCertificate, session.SessionBlob, Policy ^ 1).Dispose());        // session_mac
        var tampered = (byte[])session.SessionBlob.Clone();
        tampered[S.WrapTk] ^= 1;
        Capture(() => platform.LaunchStart(session.GodhCertificate, tampered, Policy).Dispose());                         // signature
        Capture(() => platform.LaunchStart(session.GodhCertificate, session.SessionBlob[..100], Policy).Dispose());      // length
        using (var launch = platform.LaunchStart(session.GodhCertificate, session.SessionBlob, Policy))
        {
            launch.Measure();
            Capture(() => launch.InjectSecret(new byte[52], new byte[64]));                                             // secret MAC
        }
        var signingPdh = platform.PdhCertificate;
        signingPdh[CsvCertificateLayout.Platform.Algorithm] = 4;
        Capture(() => CsvSessionBuilder.Default.Create(signingPdh, Policy, new SeededRandom(3)));
        Capture(() => CsvChainVerifier.Verify(platform.PdhCertificate, platform.CertificateChain, PlatformTrust.BuiltInOnly));
        Capture(() => MeasurementVerifier.Verify(CsvLaunchCrypto.Instance, session.Tik, new byte[48], new MeasurementParameters(1, 1, 1, Policy),
            [new DigestCandidate("short", new byte[31])], MeasurementFormulas.DefaultsFor(PlatformKind.Csv)));

        foreach (var text in texts)
            foreach (var secret in secrets)
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        Assert.True(texts.Count >= 8);
    }

    private static void AssertZero(byte[] blob, int offset, int length) =>
        Assert.True(blob.AsSpan(offset, length).IndexOfAnyExcept((byte)0) < 0, $"bytes [0x{offset:x3}, 0x{offset + length:x3}) are not zero");
}
