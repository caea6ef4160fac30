using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>
/// Builds the guest owner side of SEV LAUNCH_START: a fresh P-384 GODH, the shared secret with the
/// platform's PDH, and the session blob wrapping fresh TEK ‖ TIK.
/// Randomness is drawn from the <see cref="IRandomSource"/> in a fixed order — GODH scalar (64 bytes),
/// nonce, wrap_iv, TEK, TIK — so a fixed source gives a reproducible session.
/// </summary>
public static class SevSessionBuilder
{
    public const int KeySize = 16;
    private const int ScalarSeedSize = 64;

    /// <summary>Group order of NIST P-384.</summary>
    private static readonly BigInteger P384Order = BigInteger.Parse(
        "0ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
        System.Globalization.NumberStyles.HexNumber);

    public static LaunchSession Create(ReadOnlySpan<byte> pdhCertificate, uint policy, IRandomSource random) =>
        Create(SevCertificate.Parse(pdhCertificate, "PDH"), policy, random);

    public static LaunchSession Create(SevCertificate pdh, uint policy, IRandomSource random) =>
        Create(SevPdhKey.Import(pdh), policy, random);

    /// <summary>The session for an imported PDH: two P-384 scalar multiplications (the GODH's public key and the shared
    /// secret), the KDF and the wrap.</summary>
    public static LaunchSession Create(SevPdhKey pdh, uint policy, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(pdh);
        ArgumentNullException.ThrowIfNull(random);

        byte[] d = GodhScalar(random);
        byte[] z;
        byte[] godhCert;
        try
        {
            var (x, y) = P384.PublicKeyOf(d);
            godhCert = SevCertificate.CreateGodh(x, y).ToArray();
            z = P384.SharedSecret(d, pdh.Key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
        var nonce = new byte[SevSessionBlobLayout.NonceSize];
        var wrapIv = new byte[SevSessionBlobLayout.WrapIvSize];
        var tek = new byte[KeySize];
        var tik = new byte[KeySize];
        try
        {
            random.Fill(nonce);
            random.Fill(wrapIv);
            random.Fill(tek);
            random.Fill(tik);
            var blob = BuildBlob(z, nonce, wrapIv, tek, tik, policy);
            return new LaunchSession(PlatformKind.Sev, godhCert, blob, policy, tek, tik);
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
        }
    }

    /// <summary>
    /// The session blob from a given shared secret Z (ECDH X coordinate, big-endian). Separate from
    /// <see cref="Create(SevCertificate,uint,IRandomSource)"/> so the layout can be checked against
    /// published known answers.
    /// </summary>
    public static byte[] BuildBlob(
        ReadOnlySpan<byte> z, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> wrapIv,
        ReadOnlySpan<byte> tek, ReadOnlySpan<byte> tik, uint policy)
    {
        if (nonce.Length != SevSessionBlobLayout.NonceSize || wrapIv.Length != SevSessionBlobLayout.WrapIvSize)
            throw new ArgumentException("nonce and wrap_iv are 16 bytes each");
        if (tek.Length != KeySize || tik.Length != KeySize)
            throw new ArgumentException("TEK and TIK are 16 bytes each");

        var (kek, kik) = DeriveWrappingKeys(z, nonce);
        var blob = new byte[SevSessionBlobLayout.Size];
        var keys = new byte[2 * KeySize];
        try
        {
            nonce.CopyTo(blob.AsSpan(SevSessionBlobLayout.Nonce));
            wrapIv.CopyTo(blob.AsSpan(SevSessionBlobLayout.WrapIv));

            tek.CopyTo(keys);
            tik.CopyTo(keys.AsSpan(KeySize));
            var wrapTk = blob.AsSpan(SevSessionBlobLayout.WrapTk, SevSessionBlobLayout.WrapTkSize);
            SevLaunchCrypto.Instance.CtrTransform(kek, wrapIv, keys, wrapTk);

            // Unlike CSV, the wrap MAC covers only wrap_tk, not the IV.
            HMACSHA256.HashData(kik, wrapTk, blob.AsSpan(SevSessionBlobLayout.WrapMac, SevSessionBlobLayout.WrapMacSize));

            Span<byte> policyBytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(policyBytes, policy);
            HMACSHA256.HashData(tik, policyBytes, blob.AsSpan(SevSessionBlobLayout.PolicyMac, SevSessionBlobLayout.PolicyMacSize));
            return blob;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keys);
            CryptographicOperations.ZeroMemory(kek);
            CryptographicOperations.ZeroMemory(kik);
        }
    }

    /// <summary>master = KDF(Z, "sev-master-secret", nonce); KEK/KIK = KDF(master, "sev-kek"/"sev-kik", empty).</summary>
    internal static (byte[] Kek, byte[] Kik) DeriveWrappingKeys(ReadOnlySpan<byte> z, ReadOnlySpan<byte> nonce)
    {
        var master = SevKdf.Derive(z, KeySize, SevKdf.MasterSecretLabel, nonce);
        try
        {
            return (SevKdf.Derive(master, KeySize, SevKdf.KekLabel, []),
                    SevKdf.Derive(master, KeySize, SevKdf.KikLabel, []));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(master);
        }
    }

    /// <summary>Private scalar d = (seed mod (n−1)) + 1 from 64 random bytes, big-endian in 48 bytes: uniform enough
    /// (bias &lt; 2^-128) and never 0.</summary>
    private static byte[] GodhScalar(IRandomSource random)
    {
        var seed = new byte[ScalarSeedSize];
        var d = new byte[P384.FieldSize];
        try
        {
            random.Fill(seed);
            var value = new BigInteger(seed, isUnsigned: true, isBigEndian: true) % (P384Order - 1) + 1;
            if (!value.TryWriteBytes(d.AsSpan(d.Length - value.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true))
                throw new CryptographicException("P-384 scalar does not fit");
            return d;
        }
        catch
        {
            CryptographicOperations.ZeroMemory(d);
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }
}
