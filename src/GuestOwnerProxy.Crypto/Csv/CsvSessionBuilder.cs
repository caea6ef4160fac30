using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using Org.BouncyCastle.Crypto.Parameters;
using S = GuestOwnerProxy.Crypto.Csv.CsvSessionLayout;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>
/// Builds the CSV LAUNCH_START inputs: a fresh GODH certificate and the session
/// blob. There is no ECDH on CSV: a random z is stretched into the master secret, which is
/// SM2-encrypted to the PDH; KEK/KIK from the master wrap TEK ‖ TIK; the GODH key signs the blob.
/// Every random byte comes from the <see cref="IRandomSource"/>, in this order: z, nonce, wrap_iv,
/// TEK, TIK, GODH private key, SM2 encryption k, signature k.
/// </summary>
public sealed class CsvSessionBuilder
{
    public static CsvSessionBuilder Default { get; } = new(CsvSessionLayoutVersion.V1);

    public CsvSessionBuilder(CsvSessionLayoutVersion layout = CsvSessionLayoutVersion.V1)
    {
        if (layout != CsvSessionLayoutVersion.V1)
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "unknown CSV session layout");
        Layout = layout;
    }

    public CsvSessionLayoutVersion Layout { get; }

    public LaunchSession Create(ReadOnlySpan<byte> pdhCertificate, uint policy, IRandomSource random) =>
        Create(CsvCertificate.Parse(pdhCertificate, "PDH"), policy, random);

    public LaunchSession Create(CsvCertificate pdh, uint policy, IRandomSource random) => Create(CsvPdhKey.Import(pdh), policy, random);

    public LaunchSession Create(CsvPdhKey pdh, uint policy, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(pdh);
        ArgumentNullException.ThrowIfNull(random);
        ECPublicKeyParameters pdhKey = pdh.Key;

        byte[] z = new byte[16], nonce = new byte[S.NonceSize], wrapIv = new byte[S.WrapIvSize];
        byte[] tek = new byte[16], tik = new byte[16];
        byte[] tekTik = new byte[S.WrapTkSize];
        byte[] master = [], kek = [], kik = [];
        try
        {
            random.Fill(z);
            random.Fill(nonce);
            random.Fill(wrapIv);
            random.Fill(tek);
            random.Fill(tik);

            var godhKeys = Sm2.GenerateKeyPair(random);
            var godhPrivate = (ECPrivateKeyParameters)godhKeys.Private;
            var godh = CreateGodh((ECPublicKeyParameters)godhKeys.Public);

            master = CsvKdf.MasterSecret(z, nonce);
            kek = CsvKdf.Kek(master);
            kik = CsvKdf.Kik(master);

            var blob = new byte[S.Size];
            nonce.CopyTo(blob, S.Nonce);

            tek.CopyTo(tekTik, 0);
            tik.CopyTo(tekTik, 16);
            var wrapTk = blob.AsSpan(S.WrapTk, S.WrapTkSize);
            CsvLaunchCrypto.Instance.CtrTransform(kek, wrapIv, tekTik, wrapTk);
            wrapIv.CopyTo(blob, S.WrapIv);
            Sm3.Hmac(kik, [.. wrapIv, .. wrapTk]).CopyTo(blob, S.WrapMac);

            byte[] msEnc = Sm2.Encrypt(pdhKey, master, random);
            if (msEnc.Length != S.MsEncUsed)
                throw new CryptographicException($"SM2 ciphertext of the master secret is {msEnc.Length} bytes, expected {S.MsEncUsed}");
            msEnc.CopyTo(blob, S.MsEnc);

            SessionMac(tik, policy, blob).CopyTo(blob, S.SessionMac);

            var (r, s) = Sm2.Sign(godhPrivate, Encoding.ASCII.GetBytes(S.GodhUserId), blob.AsSpan(0, S.SignedLength), random);
            ByteOrder.CopyReversed(r, blob.AsSpan(S.SignatureR, S.SignatureScalarSize));
            ByteOrder.CopyReversed(s, blob.AsSpan(S.SignatureS, S.SignatureScalarSize));

            return new LaunchSession(PlatformKind.Csv, godh.ToArray(), blob, policy, tek, tik);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(tek);
            CryptographicOperations.ZeroMemory(tik);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(z);
            CryptographicOperations.ZeroMemory(tekTik);
            CryptographicOperations.ZeroMemory(master);
            CryptographicOperations.ZeroMemory(kek);
            CryptographicOperations.ZeroMemory(kik);
        }
    }

    /// <summary>GODH: version 1, api 0.0, usage PDH, algorithm 5, curve 3, user id GUEST_USER_ID, empty slots.</summary>
    public static CsvCertificate CreateGodh(ECPublicKeyParameters publicKey) =>
        CsvCertificate.Create(CsvUsage.Pdh, CsvAlgorithm.Sm2KeyExchange, publicKey, S.GodhUserId);

    /// <summary>HMAC-SM3(TIK, policy u32 LE ‖ blob[0x124, 0x2C4)).</summary>
    public static byte[] SessionMac(ReadOnlySpan<byte> tik, uint policy, ReadOnlySpan<byte> blob)
    {
        if (blob.Length < S.SessionMacEnd)
            throw new CryptoFormatException($"CSV session blob: {blob.Length} bytes, session_mac covers up to offset 0x{S.SessionMacEnd:x3}");
        var input = new byte[4 + S.SessionMacEnd - S.SessionMacStart];
        BinaryPrimitives.WriteUInt32LittleEndian(input, policy);
        blob[S.SessionMacStart..S.SessionMacEnd].CopyTo(input.AsSpan(4));
        return Sm3.Hmac(tik, input);
    }
}
