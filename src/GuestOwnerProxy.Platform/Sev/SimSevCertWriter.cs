using System.Buffers.Binary;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace GuestOwnerProxy.Platform.Sev;

/// <summary>Writes AMD SEV platform certificates (P-384 keys) and fills their signature slots.</summary>
internal static class SimSevCertWriter
{
    public static byte[] Write(byte apiMajor, byte apiMinor, uint usage, uint algorithm, ECPublicKeyParameters key)
    {
        byte[] c = new byte[SimSevCertLayout.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimSevCertLayout.Version), 1);
        c[SimSevCertLayout.ApiMajor] = apiMajor;
        c[SimSevCertLayout.ApiMinor] = apiMinor;
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimSevCertLayout.Usage), usage);
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimSevCertLayout.Algorithm), algorithm);
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimSevCertLayout.Curve), SimSevConstants.CurveP384);
        var q = key.Q.Normalize();
        LittleEndianField.Write(c.AsSpan(SimSevCertLayout.X, SimSevCertLayout.EccFieldSize), q.AffineXCoord.GetEncoded());
        LittleEndianField.Write(c.AsSpan(SimSevCertLayout.Y, SimSevCertLayout.EccFieldSize), q.AffineYCoord.GetEncoded());
        foreach (int slot in SimSevCertLayout.SlotOffsets)
            BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(slot + SimSevCertLayout.SlotUsage), SimSevConstants.UsageEmptySlot);
        return c;
    }

    /// <summary>ECDSA-SHA256 over [0, 0x414), deterministic k (RFC 6979) so a seed reproduces the certificate.</summary>
    public static void SignEcdsa(byte[] certificate, int slotIndex, uint signerUsage, ECPrivateKeyParameters signerKey)
    {
        byte[] hash = System.Security.Cryptography.SHA256.HashData(certificate.AsSpan(0, SimSevCertLayout.SignedLength));
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, signerKey);
        var rs = signer.GenerateSignature(hash);
        int slot = SimSevCertLayout.SlotOffsets[slotIndex];
        WriteSlotHeader(certificate, slot, signerUsage, SimSevConstants.AlgorithmEcdsaSha256);
        LittleEndianField.Write(certificate.AsSpan(slot + SimSevCertLayout.SlotR, SimSevCertLayout.EccFieldSize), rs[0].ToByteArrayUnsigned());
        LittleEndianField.Write(certificate.AsSpan(slot + SimSevCertLayout.SlotS, SimSevCertLayout.EccFieldSize), rs[1].ToByteArrayUnsigned());
    }

    /// <summary>RSA-PSS by the ASK (for the CEK), the signature stored byte-reversed in the slot.</summary>
    public static void SignRsa(byte[] certificate, int slotIndex, uint signerUsage, RsaKeyParameters signerKey, SecureRandom random)
    {
        byte[] signature = SimAmdCaWriter.PssSign(signerKey, certificate.AsSpan(0, SimSevCertLayout.SignedLength), random);
        int slot = SimSevCertLayout.SlotOffsets[slotIndex];
        WriteSlotHeader(certificate, slot, signerUsage, SimAmdCaWriter.SignatureAlgorithm(signerKey));
        LittleEndianField.Write(certificate.AsSpan(slot + SimSevCertLayout.SlotSignature, SimSevCertLayout.SlotSignatureSize), signature);
    }

    private static void WriteSlotHeader(byte[] certificate, int slot, uint usage, uint algorithm)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(certificate.AsSpan(slot + SimSevCertLayout.SlotUsage), usage);
        BinaryPrimitives.WriteUInt32LittleEndian(certificate.AsSpan(slot + SimSevCertLayout.SlotAlgorithm), algorithm);
    }
}
