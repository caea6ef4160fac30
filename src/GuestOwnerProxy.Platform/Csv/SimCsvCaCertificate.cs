using System.Buffers.Binary;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace GuestOwnerProxy.Platform.Csv;

/// <summary>A parsed 832-byte CSV CA certificate (HRK, HSK), keeping its bytes.</summary>
internal sealed class SimCsvCaCertificate
{
    private readonly byte[] _bytes;

    private SimCsvCaCertificate(byte[] bytes, ECPublicKeyParameters publicKey)
    {
        _bytes = bytes;
        PublicKey = publicKey;
    }

    public ReadOnlySpan<byte> Bytes => _bytes;
    public byte[] KeyId => _bytes.AsSpan(SimCsvCaLayout.KeyId, SimCsvCaLayout.IdSize).ToArray();
    public byte[] CertifyingId => _bytes.AsSpan(SimCsvCaLayout.CertifyingId, SimCsvCaLayout.IdSize).ToArray();
    public uint Usage => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(SimCsvCaLayout.Usage));
    public ECPublicKeyParameters PublicKey { get; }
    public string UserId => SimCsvFields.ReadUserId(_bytes, SimCsvCaLayout.UserIdLength, SimCsvCaLayout.UserId,
        SimCsvCaLayout.UserIdCapacity, "CSV CA certificate");

    public static SimCsvCaCertificate Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length != SimCsvCaLayout.Size)
            throw new FirmwareException(FirmwareError.InvalidCertificate, $"{name}: must be {SimCsvCaLayout.Size} bytes, got {bytes.Length}");
        uint curve = BinaryPrimitives.ReadUInt32LittleEndian(bytes[SimCsvCaLayout.Curve..]);
        if (curve != SimCsvConstants.CurveSm2)
            throw new FirmwareException(FirmwareError.InvalidCertificate, $"{name}: curve id {curve} is not SM2");
        try
        {
            var key = Sm2Operations.PublicKey(SimCsvFields.ReadScalar(bytes, SimCsvCaLayout.Qx), SimCsvFields.ReadScalar(bytes, SimCsvCaLayout.Qy));
            return new SimCsvCaCertificate(bytes.ToArray(), key);
        }
        catch (ArgumentException e)
        {
            throw new FirmwareException(FirmwareError.InvalidCertificate, $"{name}: public key is not a point on SM2", e);
        }
    }

    /// <summary>Signature over [0, 0x240) by the issuer (ID = issuer user id) and certifying id = issuer key id.</summary>
    public bool IsSignedBy(SimCsvCaCertificate issuer)
    {
        byte[] rs = [.. SimCsvFields.ReadScalar(_bytes, SimCsvCaLayout.SigR), .. SimCsvFields.ReadScalar(_bytes, SimCsvCaLayout.SigS)];
        return CertifyingId.AsSpan().SequenceEqual(issuer.KeyId) &&
               Sm2Operations.Verify(issuer.PublicKey, issuer.UserId, _bytes.AsSpan(0, SimCsvCaLayout.SignedLength), rs);
    }

    public static byte[] Write(ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> certifyingId, uint usage,
        ECPublicKeyParameters key, string userId)
    {
        byte[] c = new byte[SimCsvCaLayout.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimCsvCaLayout.Version), 1);
        keyId.CopyTo(c.AsSpan(SimCsvCaLayout.KeyId, SimCsvCaLayout.IdSize));
        certifyingId.CopyTo(c.AsSpan(SimCsvCaLayout.CertifyingId, SimCsvCaLayout.IdSize));
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimCsvCaLayout.Usage), usage);
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(SimCsvCaLayout.Curve), SimCsvConstants.CurveSm2);
        SimCsvFields.WriteScalar(c, SimCsvCaLayout.Qx, Sm2Operations.X(key));
        SimCsvFields.WriteScalar(c, SimCsvCaLayout.Qy, Sm2Operations.Y(key));
        SimCsvFields.WriteUserId(c, SimCsvCaLayout.UserIdLength, SimCsvCaLayout.UserId, SimCsvCaLayout.UserIdCapacity, userId);
        return c;
    }

    public static void Sign(byte[] certificate, ECPrivateKeyParameters signerKey, string signerId, SecureRandom random)
    {
        byte[] rs = Sm2Operations.Sign(signerKey, signerId, certificate.AsSpan(0, SimCsvCaLayout.SignedLength), random);
        SimCsvFields.WriteScalar(certificate, SimCsvCaLayout.SigR, rs.AsSpan(0, 32));
        SimCsvFields.WriteScalar(certificate, SimCsvCaLayout.SigS, rs.AsSpan(32, 32));
    }
}
