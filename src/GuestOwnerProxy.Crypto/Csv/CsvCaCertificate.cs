using System.Security.Cryptography;
using System.Text;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using Org.BouncyCastle.Crypto.Parameters;
using L = GuestOwnerProxy.Crypto.Csv.CsvCertificateLayout.Ca;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>
/// A Hygon CSV CA certificate (HRK, HSK; 832 bytes). Immutable; keeps its original bytes.
/// </summary>
public sealed class CsvCaCertificate
{
    public const int Size = L.Size;

    private readonly byte[] _bytes;
    private readonly byte[] _x;
    private readonly byte[] _y;
    private readonly byte[] _userId;
    private readonly byte[] _r;
    private readonly byte[] _s;
    private ECPublicKeyParameters? _publicKey;

    private CsvCaCertificate(byte[] bytes, string role)
    {
        _bytes = bytes;
        Role = role;
        ReadOnlySpan<byte> b = bytes;
        Version = CsvFieldReader.U32(b, L.Version);
        uint usage = CsvFieldReader.U32(b, L.Usage);
        if (usage is not ((uint)CsvUsage.Hrk or (uint)CsvUsage.Hsk))
            throw new InvalidCertificateException(role,
                $"usage {CsvIds.Describe(usage)} at offset 0x{L.Usage:x3} is not a CSV CA certificate usage (HRK 0x0000, HSK 0x0013)");
        Usage = (CsvUsage)usage;
        Curve = CsvFieldReader.Curve(b, L.Curve, role);
        _x = CsvFieldReader.Scalar(b, L.PublicKeyX, role, "public key X");
        _y = CsvFieldReader.Scalar(b, L.PublicKeyY, role, "public key Y");
        _userId = CsvFieldReader.UserId(b, L.UserIdLength, L.UserId, role);
        _r = CsvFieldReader.Scalar(b, L.SignatureR, role, "signature r");
        _s = CsvFieldReader.Scalar(b, L.SignatureS, role, "signature s");
    }

    public string Role { get; }
    public uint Version { get; }
    public ReadOnlySpan<byte> KeyId => _bytes.AsSpan(L.KeyId, CsvCertificateLayout.IdSize);

    /// <summary>Key id of the signer (the HRK's own id in the HRK).</summary>
    public ReadOnlySpan<byte> CertifyingId => _bytes.AsSpan(L.CertifyingId, CsvCertificateLayout.IdSize);
    public CsvUsage Usage { get; }
    public CsvCurve Curve { get; }
    public ReadOnlySpan<byte> PublicKeyX => _x;
    public ReadOnlySpan<byte> PublicKeyY => _y;
    public ReadOnlySpan<byte> UserIdBytes => _userId;
    public string UserId => CsvFieldReader.Text(_userId);

    /// <summary>Signature r and s, big-endian.</summary>
    public ReadOnlySpan<byte> SignatureR => _r;
    public ReadOnlySpan<byte> SignatureS => _s;

    /// <summary>The signed message: bytes [0, 0x240).</summary>
    public ReadOnlySpan<byte> SignedBytes => _bytes.AsSpan(0, L.SignedLength);

    public ECPublicKeyParameters PublicKey => _publicKey ??= CsvCertificate.CreatePublicKey(_x, _y, Role);

    /// <summary>Lowercase hex SHA-256 of the whole certificate file (what root pins are made of).</summary>
    public string Fingerprint => Convert.ToHexString(SHA256.HashData(_bytes)).ToLowerInvariant();

    public byte[] ToArray() => (byte[])_bytes.Clone();

    public static CsvCaCertificate Parse(ReadOnlySpan<byte> bytes, string role = "CSV CA certificate")
    {
        CsvFieldReader.RequireSize(bytes, Size, role, "CA");
        return new CsvCaCertificate(bytes.ToArray(), role);
    }

    public static CsvCaCertificate Create(uint version, ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> certifyingId, CsvUsage usage,
        ReadOnlySpan<byte> publicKeyX, ReadOnlySpan<byte> publicKeyY, ReadOnlySpan<byte> userId,
        ReadOnlySpan<byte> signatureR = default, ReadOnlySpan<byte> signatureS = default)
    {
        if (keyId.Length != CsvCertificateLayout.IdSize || certifyingId.Length != CsvCertificateLayout.IdSize)
            throw new ArgumentException($"key id and certifying id must be {CsvCertificateLayout.IdSize} bytes");
        var bytes = new byte[Size];
        CsvFieldReader.WriteU32(bytes, L.Version, version);
        keyId.CopyTo(bytes.AsSpan(L.KeyId));
        certifyingId.CopyTo(bytes.AsSpan(L.CertifyingId));
        CsvFieldReader.WriteU32(bytes, L.Usage, (uint)usage);
        CsvFieldReader.WriteU32(bytes, L.Curve, (uint)CsvCurve.Sm2P256);
        Sm2.BigEndianToField(publicKeyX, bytes.AsSpan(L.PublicKeyX, CsvCertificateLayout.FieldSize));
        Sm2.BigEndianToField(publicKeyY, bytes.AsSpan(L.PublicKeyY, CsvCertificateLayout.FieldSize));
        CsvFieldReader.WriteUserId(bytes, L.UserIdLength, L.UserId, userId);
        if (!signatureR.IsEmpty || !signatureS.IsEmpty)
            WriteSignature(bytes, signatureR, signatureS);
        return new CsvCaCertificate(bytes, usage.ToString().ToUpperInvariant());
    }

    /// <summary>Version 1, unsigned.</summary>
    public static CsvCaCertificate Create(CsvUsage usage, ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> certifyingId,
        ECPublicKeyParameters publicKey, string userId)
    {
        var (x, y) = Sm2.ExportPublicKey(publicKey);
        return Create(1, keyId, certifyingId, usage, x, y, Encoding.ASCII.GetBytes(userId));
    }

    /// <summary>Signs [0, 0x240) with <paramref name="signerKey"/> under SM2 ID <paramref name="signerUserId"/>.</summary>
    public CsvCaCertificate Sign(ECPrivateKeyParameters signerKey, ReadOnlySpan<byte> signerUserId, IRandomSource random)
    {
        var (r, s) = Sm2.Sign(signerKey, signerUserId, SignedBytes, random);
        var bytes = ToArray();
        WriteSignature(bytes, r, s);
        return new CsvCaCertificate(bytes, Role);
    }

    /// <summary>A self-signature (HRK): SM2 ID = own user id.</summary>
    public CsvCaCertificate SelfSign(ECPrivateKeyParameters key, IRandomSource random) => Sign(key, UserIdBytes, random);

    public bool VerifySignature(ECPublicKeyParameters signerKey, ReadOnlySpan<byte> signerUserId) =>
        Sm2.Verify(signerKey, signerUserId, SignedBytes, _r, _s);

    /// <summary>Certifying id equals the signer's key id, and the signature verifies under the signer's key and user id.</summary>
    public bool IsSignedBy(CsvCaCertificate signer) =>
        CertifyingId.SequenceEqual(signer.KeyId) && VerifySignature(signer.PublicKey, signer.UserIdBytes);

    public bool IsSelfSigned => IsSignedBy(this);

    public override string ToString() => $"CSV {Usage} CA certificate '{UserId}' (key id {Convert.ToHexString(KeyId).ToLowerInvariant()})";

    private static void WriteSignature(Span<byte> bytes, ReadOnlySpan<byte> r, ReadOnlySpan<byte> s)
    {
        Sm2.BigEndianToField(r, bytes.Slice(L.SignatureR, CsvCertificateLayout.FieldSize));
        Sm2.BigEndianToField(s, bytes.Slice(L.SignatureS, CsvCertificateLayout.FieldSize));
    }
}
