using GuestOwnerProxy.Crypto.Common;
using System.Security.Cryptography;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>Checks the signature slots of platform certificates. Every check returns false rather than
/// throwing for a signature that is malformed, so the chain verifier can name the failing link.</summary>
public static class SevSignatureVerifier
{
    /// <summary>
    /// True when <paramref name="subject"/> has a signature slot with the signer's usage, made with the
    /// signer's key type, that verifies over the subject's bytes [0, 0x414) with the slot's hash. Every slot
    /// with that usage is tried (as on CSV): a malformed or stale first slot must not hide a valid second one,
    /// and no slot verifying fails closed.
    /// </summary>
    public static bool IsSignedBy(SevCertificate subject, SevCertificate signer)
    {
        foreach (var slot in subject.FindSignatures(signer.Usage))
        {
            if (VerifySlot(subject, signer, slot))
                return true;
        }
        return false;
    }

    /// <summary>True when the ASK signed this CEK: a slot with usage 0x13, RSA-PSS with the slot's hash.</summary>
    public static bool IsSignedBy(SevCertificate cek, AmdCaCertificate ask)
    {
        foreach (var slot in cek.FindSignatures(SevUsage.Ask))
        {
            if (SevIds.IsRsa(slot.Algorithm) && VerifyRsaPss(ask.GetRsaParameters(), cek.SignedBytes, slot, SevIds.Hash(slot.Algorithm)))
                return true;
        }
        return false;
    }

    private static bool VerifySlot(SevCertificate subject, SevCertificate signer, SevSignature slot)
    {
        var hash = SevIds.Hash(slot.Algorithm);
        if (signer.IsEcc)
        {
            if (!SevIds.IsEcdsa(slot.Algorithm) || !SevIds.IsEcdsa(signer.Algorithm))
                return false;
            var signature = EcdsaSignatureP1363(slot, SevIds.FieldSize(signer.Curve!.Value));
            if (signature is null)
                return false;
            var key = signer.GetEcParameters();
            try
            {
                if (LibCrypto.Functions is { } native)
                {
                    // libcrypto directly: the key checked to be on its curve, no second full validation per certificate.
                    int half = signature.Length / 2;
                    byte[] digest = hash == HashAlgorithmName.SHA384 ? SHA384.HashData(subject.SignedBytes) : SHA256.HashData(subject.SignedBytes);
                    return native.VerifyEcdsa(key.Q.X, key.Q.Y, digest, signature.AsSpan(0, half), signature.AsSpan(half));
                }
                using var ecdsa = ECDsa.Create(key);
                return ecdsa.VerifyData(subject.SignedBytes, signature, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            }
            catch (CryptographicException)
            {
                return false;
            }
        }
        if (!SevIds.IsRsa(slot.Algorithm) || !SevIds.IsRsa(signer.Algorithm))
            return false;
        return VerifyRsaPss(signer.GetRsaParameters(), subject.SignedBytes, slot, hash);
    }

    private static bool VerifyRsaPss(RSAParameters key, ReadOnlySpan<byte> message, SevSignature slot, HashAlgorithmName hash)
    {
        int n = key.Modulus!.Length;
        if (n > slot.Data.Length)
            return false;
        // Stored little-endian in the low n bytes of the 512-byte area.
        var signature = ByteOrder.Reversed(slot.Data[..n]);
        try
        {
            using var rsa = RSA.Create(key);
            return rsa.VerifyData(message, signature, hash, RSASignaturePadding.Pss);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>R ‖ S big-endian at the field size, or null when a component does not fit (not a valid signature).</summary>
    private static byte[]? EcdsaSignatureP1363(SevSignature slot, int fieldSize)
    {
        var data = slot.Data;
        var r = data.Slice(SevCertificateLayout.SlotEcR - SevCertificateLayout.SlotData, SevCertificateLayout.EcComponentSize);
        var s = data.Slice(SevCertificateLayout.SlotEcS - SevCertificateLayout.SlotData, SevCertificateLayout.EcComponentSize);
        if (r[fieldSize..].ContainsAnyExcept((byte)0) || s[fieldSize..].ContainsAnyExcept((byte)0))
            return null;
        var result = new byte[2 * fieldSize];
        for (int i = 0; i < fieldSize; i++)
        {
            result[i] = r[fieldSize - 1 - i];
            result[fieldSize + i] = s[fieldSize - 1 - i];
        }
        return result;
    }
}
