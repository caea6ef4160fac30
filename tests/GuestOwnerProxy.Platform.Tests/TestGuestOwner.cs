using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Platform.Csv;
using GuestOwnerProxy.Platform.Sev;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace GuestOwnerProxy.Platform.Tests;

/// <summary>
/// A hand-written guest owner for exercising the simulated firmware, built straight from the specs
/// (the real guest-owner code is checked against the simulator elsewhere). Hooks let a test alter
/// the blob before it is signed, so each firmware check can be reached on its own.
/// </summary>
internal static class TestGuestOwner
{
    public sealed record Session(byte[] Godh, byte[] Blob, byte[] Tek, byte[] Tik);

    public static Session Csv(byte[] pdhCertificate, uint policy, Action<byte[]>? beforeSigning = null, string godhId = "GUEST_USER_ID",
        string signingId = "GUEST_USER_ID")
    {
        var random = new SecureRandom();
        var pdh = SimCsvCertificate.Parse(pdhCertificate, "PDH");
        var godhKey = Sm2Operations.GenerateKeyPair(random);
        byte[] godh = SimCsvCertificate.Write(1, 0, 0, 0x1003, 5, (ECPublicKeyParameters)godhKey.Public, godhId, default);

        byte[] master = RandomNumberGenerator.GetBytes(32);
        byte[] tek = RandomNumberGenerator.GetBytes(16), tik = RandomNumberGenerator.GetBytes(16);
        byte[] wrapIv = RandomNumberGenerator.GetBytes(16);
        byte[] kek = CsvFirmwareKdf.Derive(master, 32, default, "csv-kek");
        byte[] kik = CsvFirmwareKdf.Derive(master, 32, default, "csv-kik");
        byte[] wrapTk = new byte[32];
        CsvLaunchCrypto.Instance.CtrTransform(kek.AsSpan(0, 16), wrapIv, [.. tek, .. tik], wrapTk);

        var engine = new SM2Engine(new SM3Digest(), SM2Engine.Mode.C1C3C2);
        engine.Init(true, new ParametersWithRandom(pdh.PublicKey, random));
        byte[] msEnc = engine.ProcessBlock(master, 0, master.Length);
        Assert.Equal(129, msEnc.Length);

        byte[] blob = new byte[772];
        RandomNumberGenerator.Fill(blob.AsSpan(0, 16));
        wrapTk.CopyTo(blob, 0x10);
        wrapIv.CopyTo(blob, 0x30);
        Sm3.Hmac(kik, [.. wrapIv, .. wrapTk]).CopyTo(blob, 0x40);
        msEnc.CopyTo(blob, 0x124);
        byte[] macInput = new byte[4 + 0x2C4 - 0x124];
        BinaryPrimitives.WriteUInt32LittleEndian(macInput, policy);
        blob.AsSpan(0x124, 0x2C4 - 0x124).CopyTo(macInput.AsSpan(4));
        Sm3.Hmac(tik, macInput).CopyTo(blob, 0x60);
        beforeSigning?.Invoke(blob);

        byte[] rs = Sm2Operations.Sign((ECPrivateKeyParameters)godhKey.Private, signingId, blob.AsSpan(0, 0x2C4), random);
        for (int i = 0; i < 32; i++)
        {
            blob[0x2C4 + i] = rs[31 - i];
            blob[0x2E4 + i] = rs[63 - i];
        }
        return new Session(godh, blob, tek, tik);
    }

    public static Session Sev(byte[] pdhCertificate, uint policy, Action<byte[]>? tamper = null)
    {
        using var godhKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var q = godhKey.ExportParameters(false).Q;
        byte[] godh = new byte[2084];
        BinaryPrimitives.WriteUInt32LittleEndian(godh, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(godh.AsSpan(0x08), 0x1003);
        BinaryPrimitives.WriteUInt32LittleEndian(godh.AsSpan(0x0C), 0x3);
        BinaryPrimitives.WriteUInt32LittleEndian(godh.AsSpan(0x10), 2);
        Reverse(q.X!).CopyTo(godh, 0x14);
        Reverse(q.Y!).CopyTo(godh, 0x5C);
        BinaryPrimitives.WriteUInt32LittleEndian(godh.AsSpan(0x414), 0x1000);
        BinaryPrimitives.WriteUInt32LittleEndian(godh.AsSpan(0x61C), 0x1000);

        using var pdh = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP384,
            Q = new ECPoint { X = Reverse(pdhCertificate.AsSpan(0x14, 48).ToArray()), Y = Reverse(pdhCertificate.AsSpan(0x5C, 48).ToArray()) },
        });
        byte[] z = godhKey.DeriveRawSecretAgreement(pdh.PublicKey);

        byte[] nonce = RandomNumberGenerator.GetBytes(16), wrapIv = RandomNumberGenerator.GetBytes(16);
        byte[] tek = RandomNumberGenerator.GetBytes(16), tik = RandomNumberGenerator.GetBytes(16);
        byte[] master = SevFirmwareKdf.Derive(z, 16, "sev-master-secret", nonce);
        byte[] kek = SevFirmwareKdf.Derive(master, 16, "sev-kek", default);
        byte[] kik = SevFirmwareKdf.Derive(master, 16, "sev-kik", default);
        byte[] wrapTk = new byte[32];
        SevLaunchCrypto.Instance.CtrTransform(kek, wrapIv, [.. tek, .. tik], wrapTk);
        byte[] policyBytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(policyBytes, policy);
        byte[] blob = [.. nonce, .. wrapTk, .. wrapIv, .. HMACSHA256.HashData(kik, wrapTk), .. HMACSHA256.HashData(tik, policyBytes)];
        tamper?.Invoke(blob);
        return new Session(godh, blob, tek, tik);
    }

    /// <summary>LAUNCH_SECRET header and data for a table (padded here to 16 bytes).</summary>
    public static (byte[] Header, byte[] Data) SecretPacket(ILaunchCrypto crypto, Session session, byte[] measure, byte[] table, uint flags = 0)
    {
        byte[] padded = new byte[(table.Length + 15) / 16 * 16];
        table.CopyTo(padded, 0);
        byte[] iv = RandomNumberGenerator.GetBytes(16);
        byte[] data = new byte[padded.Length];
        crypto.CtrTransform(session.Tek, iv, padded, data);
        byte[] lengths = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(lengths, (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(lengths.AsSpan(4), (uint)data.Length);
        byte[] flagBytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(flagBytes, flags);
        byte[] mac = crypto.Mac(session.Tik, [0x01, .. flagBytes, .. iv, .. lengths, .. data, .. measure]);
        return ([.. flagBytes, .. iv, .. mac], data);
    }

    private static byte[] Reverse(byte[] b)
    {
        byte[] r = (byte[])b.Clone();
        Array.Reverse(r);
        return r;
    }
}
