using System.Buffers.Binary;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace GuestOwnerProxy.Platform.Csv;

/// <summary>A parsed 2084-byte CSV platform certificate (PDH, PEK, OCA, CEK, GODH), keeping its bytes.</summary>
internal sealed class SimCsvCertificate
{
    private readonly byte[] _bytes;

    private SimCsvCertificate(byte[] bytes, ECPublicKeyParameters publicKey)
    {
        _bytes = bytes;
        PublicKey = publicKey;
    }

    public ReadOnlySpan<byte> Bytes => _bytes;
    public uint Version => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(SimCsvCertLayout.Version));
    public byte ApiMajor => _bytes[SimCsvCertLayout.ApiMajor];
    public byte ApiMinor => _bytes[SimCsvCertLayout.ApiMinor];
    public uint Usage => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(SimCsvCertLayout.Usage));
    public uint Algorithm => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(SimCsvCertLayout.Algorithm));
    public ECPublicKeyParameters PublicKey { get; }
    public string UserId => SimCsvFields.ReadUserId(_bytes, SimCsvCertLayout.UserIdLength, SimCsvCertLayout.UserId,
        SimCsvCertLayout.UserIdCapacity, "CSV certificate");
    public byte[] Sid => _bytes.AsSpan(SimCsvCertLayout.Sid, SimCsvCertLayout.SidSize).ToArray();

    public static SimCsvCertificate Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length != SimCsvCertLayout.Size)
            throw Invalid(name, $"must be {SimCsvCertLayout.Size} bytes, got {bytes.Length}");
        uint curve = BinaryPrimitives.ReadUInt32LittleEndian(bytes[SimCsvCertLayout.Curve..]);
        if (curve != SimCsvConstants.CurveSm2)
            throw Invalid(name, $"curve id {curve} is not SM2 ({SimCsvConstants.CurveSm2})");
        ECPublicKeyParameters key;
        try
        {
            key = Sm2Operations.PublicKey(SimCsvFields.ReadScalar(bytes, SimCsvCertLayout.Qx),
                SimCsvFields.ReadScalar(bytes, SimCsvCertLayout.Qy));
        }
        catch (ArgumentException e)
        {
            throw new FirmwareException(FirmwareError.InvalidCertificate, $"{name}: public key is not a point on SM2", e);
        }
        return new SimCsvCertificate(bytes.ToArray(), key);
    }

    /// <summary>The signature slot with the given usage (slots are matched by usage, never by position).</summary>
    public (uint Algorithm, byte[] Rs)? FindSignature(uint signerUsage)
    {
        foreach (int slot in SimCsvCertLayout.SlotOffsets)
        {
            uint usage = BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(slot + SimCsvCertLayout.SlotUsage));
            if (usage != signerUsage)
                continue;
            uint algorithm = BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(slot + SimCsvCertLayout.SlotAlgorithm));
            byte[] rs = [.. SimCsvFields.ReadScalar(_bytes, slot + SimCsvCertLayout.SlotR),
                         .. SimCsvFields.ReadScalar(_bytes, slot + SimCsvCertLayout.SlotS)];
            return (algorithm, rs);
        }
        return null;
    }

    /// <summary>True when the slot for <paramref name="signerUsage"/> holds a valid SM2 signature by that key and ID.</summary>
    public bool IsSignedBy(uint signerUsage, ECPublicKeyParameters signerKey, string signerId)
    {
        var signature = FindSignature(signerUsage);
        return signature is { } s && s.Algorithm == SimCsvConstants.AlgorithmSm2Sign &&
               Sm2Operations.Verify(signerKey, signerId, _bytes.AsSpan(0, SimCsvCertLayout.SignedLength), s.Rs);
    }

    /// <summary>Writes an unsigned certificate: both signature slots empty.</summary>
    public static byte[] Write(uint version, byte apiMajor, byte apiMinor, uint usage, uint algorithm,
        ECPublicKeyParameters key, string userId, ReadOnlySpan<byte> sid)
    {
        byte[] c = new byte[SimCsvCertLayout.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimCsvCertLayout.Version), version);
        c[SimCsvCertLayout.ApiMajor] = apiMajor;
        c[SimCsvCertLayout.ApiMinor] = apiMinor;
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimCsvCertLayout.Usage), usage);
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimCsvCertLayout.Algorithm), algorithm);
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimCsvCertLayout.Curve), SimCsvConstants.CurveSm2);
        SimCsvFields.WriteScalar(c, SimCsvCertLayout.Qx, Sm2Operations.X(key));
        SimCsvFields.WriteScalar(c, SimCsvCertLayout.Qy, Sm2Operations.Y(key));
        SimCsvFields.WriteUserId(c, SimCsvCertLayout.UserIdLength, SimCsvCertLayout.UserId, SimCsvCertLayout.UserIdCapacity, userId);
        if (!sid.IsEmpty)
            sid.CopyTo(c.AsSpan(SimCsvCertLayout.Sid, SimCsvCertLayout.SidSize));
        foreach (int slot in SimCsvCertLayout.SlotOffsets)
            BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(slot + SimCsvCertLayout.SlotUsage), SimCsvConstants.UsageEmptySlot);
        return c;
    }

    /// <summary>Signs bytes [0, 0x414) into slot <paramref name="slotIndex"/> with SM2, ID = the signer's user id.</summary>
    public static void Sign(byte[] certificate, int slotIndex, uint signerUsage, ECPrivateKeyParameters signerKey,
        string signerId, SecureRandom random)
    {
        byte[] rs = Sm2Operations.Sign(signerKey, signerId, certificate.AsSpan(0, SimCsvCertLayout.SignedLength), random);
        int slot = SimCsvCertLayout.SlotOffsets[slotIndex];
        BinaryPrimitives.WriteUInt32LittleEndian(certificate.AsSpan(slot + SimCsvCertLayout.SlotUsage), signerUsage);
        BinaryPrimitives.WriteUInt32LittleEndian(certificate.AsSpan(slot + SimCsvCertLayout.SlotAlgorithm), SimCsvConstants.AlgorithmSm2Sign);
        SimCsvFields.WriteScalar(certificate, slot + SimCsvCertLayout.SlotR, rs.AsSpan(0, 32));
        SimCsvFields.WriteScalar(certificate, slot + SimCsvCertLayout.SlotS, rs.AsSpan(32, 32));
    }

    private static FirmwareException Invalid(string name, string reason) =>
        new(FirmwareError.InvalidCertificate, $"{name}: {reason}");
}
