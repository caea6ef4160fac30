using System.Buffers.Binary;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace GuestOwnerProxy.Platform.Sev;

/// <summary>Writes ARK/ASK certificates in AMD's CA format and signs them with RSA-PSS (salt = hash length).</summary>
internal static class SimAmdCaWriter
{
    public static byte[] Write(ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> certifyingId, uint usage, RsaKeyParameters publicKey)
    {
        int n = ModulusBytes(publicKey);
        byte[] c = new byte[SimAmdCaLayout.Size(n)];
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimAmdCaLayout.Version), 1);
        keyId.CopyTo(c.AsSpan(SimAmdCaLayout.KeyId, SimAmdCaLayout.IdSize));
        certifyingId.CopyTo(c.AsSpan(SimAmdCaLayout.CertifyingId, SimAmdCaLayout.IdSize));
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimAmdCaLayout.Usage), usage);
        // AMD's certificates give the exponent field the modulus's width.
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimAmdCaLayout.PublicExponentBits), (uint)n * 8);
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimAmdCaLayout.ModulusBits), (uint)n * 8);
        LittleEndianField.Write(c.AsSpan(SimAmdCaLayout.PublicExponent, n), publicKey.Exponent.ToByteArrayUnsigned());
        LittleEndianField.Write(c.AsSpan(SimAmdCaLayout.Modulus(n), n), publicKey.Modulus.ToByteArrayUnsigned());
        return c;
    }

    public static void Sign(byte[] certificate, RsaKeyParameters signerKey, SecureRandom random)
    {
        int n = (certificate.Length - 64) / 3;
        byte[] signature = PssSign(signerKey, certificate.AsSpan(0, SimAmdCaLayout.Signature(n)), random);
        LittleEndianField.Write(certificate.AsSpan(SimAmdCaLayout.Signature(n), n), signature);
    }

    /// <summary>RSA-PSS, MGF1 with the same hash, salt = hash length: SHA-256 for 2048-bit keys, SHA-384 above.</summary>
    public static byte[] PssSign(RsaKeyParameters key, ReadOnlySpan<byte> message, SecureRandom random)
    {
        IDigest digest = ModulusBytes(key) > 256 ? new Sha384Digest() : new Sha256Digest();
        var signer = new PssSigner(new RsaBlindedEngine(), digest, digest.GetDigestSize());
        signer.Init(true, new ParametersWithRandom(key, random));
        signer.BlockUpdate(message);
        byte[] signature = signer.GenerateSignature();
        // Left-pad to the modulus size so the little-endian field has a fixed width.
        int n = ModulusBytes(key);
        if (signature.Length == n)
            return signature;
        byte[] padded = new byte[n];
        signature.CopyTo(padded, n - signature.Length);
        return padded;
    }

    public static uint SignatureAlgorithm(RsaKeyParameters key) =>
        ModulusBytes(key) > 256 ? SimSevConstants.AlgorithmRsaSha384 : SimSevConstants.AlgorithmRsaSha256;

    public static int ModulusBytes(RsaKeyParameters key) => (key.Modulus.BitLength + 7) / 8;
}
