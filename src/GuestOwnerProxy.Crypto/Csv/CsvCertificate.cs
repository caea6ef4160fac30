using System.Text;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using Org.BouncyCastle.Crypto.Parameters;
using L = GuestOwnerProxy.Crypto.Csv.CsvCertificateLayout.Platform;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>
/// A Hygon CSV platform certificate (PDH, PEK, OCA, CEK, GODH; 2084 bytes).
/// Immutable; keeps the exact bytes it was parsed from, which are also what <see cref="ToArray"/> returns.
/// </summary>
public sealed class CsvCertificate
{
    public const int Size = L.Size;

    private readonly byte[] _bytes;
    private readonly byte[] _x;
    private readonly byte[] _y;
    private readonly byte[] _userId;
    private ECPublicKeyParameters? _publicKey;

    private CsvCertificate(byte[] bytes, string role)
    {
        _bytes = bytes;
        Role = role;
        ReadOnlySpan<byte> b = bytes;

        Version = CsvFieldReader.U32(b, L.Version);
        ApiMajor = b[L.ApiMajor];
        ApiMinor = b[L.ApiMinor];

        uint usage = CsvFieldReader.U32(b, L.Usage);
        if (usage is not ((uint)CsvUsage.Oca or (uint)CsvUsage.Pek or (uint)CsvUsage.Pdh or (uint)CsvUsage.Cek))
            throw new InvalidCertificateException(role,
                $"usage {CsvIds.Describe(usage)} at offset 0x{L.Usage:x3} is not a CSV platform certificate usage (OCA 0x1001, PEK 0x1002, PDH 0x1003, CEK 0x1004)");
        Usage = (CsvUsage)usage;

        uint algorithm = CsvFieldReader.U32(b, L.Algorithm);
        if (algorithm is not ((uint)CsvAlgorithm.Sm2Sign or (uint)CsvAlgorithm.Sm2KeyExchange))
            throw new InvalidCertificateException(role,
                $"algorithm {algorithm} at offset 0x{L.Algorithm:x3} is unknown (CSV uses 4 = SM2 signing, 5 = SM2 key exchange)");
        Algorithm = (CsvAlgorithm)algorithm;

        Curve = CsvFieldReader.Curve(b, L.Curve, role);
        _x = CsvFieldReader.Scalar(b, L.PublicKeyX, role, "public key X");
        _y = CsvFieldReader.Scalar(b, L.PublicKeyY, role, "public key Y");
        _userId = CsvFieldReader.UserId(b, L.UserIdLength, L.UserId, role);
        Signature1 = ReadSlot(b, 1, role);
        Signature2 = ReadSlot(b, 2, role);
    }

    /// <summary>Name used in error messages ("PDH", "PEK", ...).</summary>
    public string Role { get; }
    public uint Version { get; }
    public byte ApiMajor { get; }
    public byte ApiMinor { get; }
    public CsvUsage Usage { get; }
    public CsvAlgorithm Algorithm { get; }
    public CsvCurve Curve { get; }

    /// <summary>Public key X, big-endian, 32 bytes.</summary>
    public ReadOnlySpan<byte> PublicKeyX => _x;

    /// <summary>Public key Y, big-endian, 32 bytes.</summary>
    public ReadOnlySpan<byte> PublicKeyY => _y;

    /// <summary>User id bytes (without padding): the SM2 ID used when this certificate's key signs.</summary>
    public ReadOnlySpan<byte> UserIdBytes => _userId;
    public string UserId => CsvFieldReader.Text(_userId);

    /// <summary>16-byte "sid"; in a CEK the key id of the HSK that signed it.</summary>
    public ReadOnlySpan<byte> Sid => _bytes.AsSpan(L.Sid, CsvCertificateLayout.IdSize);

    public CsvSignatureSlot Signature1 { get; }
    public CsvSignatureSlot Signature2 { get; }
    public IReadOnlyList<CsvSignatureSlot> Signatures => [Signature1, Signature2];

    /// <summary>The signed message: bytes [0, 0x414).</summary>
    public ReadOnlySpan<byte> SignedBytes => _bytes.AsSpan(0, L.SignedLength);

    /// <summary>The public key as an SM2 point; throws <see cref="InvalidCertificateException"/> when it is not on the curve.</summary>
    public ECPublicKeyParameters PublicKey => _publicKey ??= CreatePublicKey(_x, _y, Role);

    public byte[] ToArray() => (byte[])_bytes.Clone();

    public static CsvCertificate Parse(ReadOnlySpan<byte> bytes, string role = "CSV certificate")
    {
        CsvFieldReader.RequireSize(bytes, Size, role, "platform");
        return new CsvCertificate(bytes.ToArray(), role);
    }

    /// <summary>True when the bytes look like a CSV platform certificate (size, SM2 algorithm, curve 3), without validating the rest.</summary>
    public static bool LooksLikeCsv(ReadOnlySpan<byte> bytes) =>
        bytes.Length == Size
        && CsvFieldReader.U32(bytes, L.Algorithm) is (uint)CsvAlgorithm.Sm2Sign or (uint)CsvAlgorithm.Sm2KeyExchange
        && CsvFieldReader.U32(bytes, L.Curve) == (uint)CsvCurve.Sm2P256;

    /// <summary>Builds a certificate from its fields (reserved bytes zero).</summary>
    public static CsvCertificate Create(uint version, byte apiMajor, byte apiMinor, CsvUsage usage, CsvAlgorithm algorithm,
        ReadOnlySpan<byte> publicKeyX, ReadOnlySpan<byte> publicKeyY, ReadOnlySpan<byte> userId, ReadOnlySpan<byte> sid = default,
        CsvSignatureSlot? signature1 = null, CsvSignatureSlot? signature2 = null)
    {
        if (sid.Length is not (0 or CsvCertificateLayout.IdSize))
            throw new ArgumentException($"sid must be empty or {CsvCertificateLayout.IdSize} bytes", nameof(sid));
        var bytes = new byte[Size];
        CsvFieldReader.WriteU32(bytes, L.Version, version);
        bytes[L.ApiMajor] = apiMajor;
        bytes[L.ApiMinor] = apiMinor;
        CsvFieldReader.WriteU32(bytes, L.Usage, (uint)usage);
        CsvFieldReader.WriteU32(bytes, L.Algorithm, (uint)algorithm);
        CsvFieldReader.WriteU32(bytes, L.Curve, (uint)CsvCurve.Sm2P256);
        Sm2.BigEndianToField(publicKeyX, bytes.AsSpan(L.PublicKeyX, CsvCertificateLayout.FieldSize));
        Sm2.BigEndianToField(publicKeyY, bytes.AsSpan(L.PublicKeyY, CsvCertificateLayout.FieldSize));
        CsvFieldReader.WriteUserId(bytes, L.UserIdLength, L.UserId, userId);
        sid.CopyTo(bytes.AsSpan(L.Sid));
        WriteSlot(bytes, 1, signature1 ?? CsvSignatureSlot.Empty);
        WriteSlot(bytes, 2, signature2 ?? CsvSignatureSlot.Empty);
        return new CsvCertificate(bytes, usage.ToString().ToUpperInvariant());
    }

    /// <summary>A version 1, API 0.0 certificate for <paramref name="publicKey"/> with both signature slots empty.</summary>
    public static CsvCertificate Create(CsvUsage usage, CsvAlgorithm algorithm, ECPublicKeyParameters publicKey, string userId,
        ReadOnlySpan<byte> sid = default)
    {
        var (x, y) = Sm2.ExportPublicKey(publicKey);
        return Create(1, 0, 0, usage, algorithm, x, y, Encoding.ASCII.GetBytes(userId), sid);
    }

    /// <summary>A copy with signature slot <paramref name="slot"/> (1 or 2) replaced.</summary>
    public CsvCertificate WithSignature(int slot, CsvSignatureSlot signature)
    {
        var bytes = ToArray();
        WriteSlot(bytes, slot, signature);
        return new CsvCertificate(bytes, Role);
    }

    /// <summary>Signs [0, 0x414) with <paramref name="signerKey"/> (SM2 ID = <paramref name="signerUserId"/>) into slot 1 or 2.</summary>
    public CsvCertificate Sign(int slot, CsvUsage signerUsage, ECPrivateKeyParameters signerKey, ReadOnlySpan<byte> signerUserId,
        IRandomSource random)
    {
        L.SignatureSlot(slot);
        var (r, s) = Sm2.Sign(signerKey, signerUserId, SignedBytes, random);
        return WithSignature(slot, new CsvSignatureSlot(signerUsage, CsvAlgorithm.Sm2Sign, r, s));
    }

    /// <summary>Signs as <paramref name="signer"/> (its usage and user id) with the signer's private key.</summary>
    public CsvCertificate SignWith(int slot, CsvCertificate signer, ECPrivateKeyParameters signerKey, IRandomSource random) =>
        Sign(slot, signer.Usage, signerKey, signer.UserIdBytes, random);

    /// <summary>Signs as a CA key (HSK signing a CEK).</summary>
    public CsvCertificate SignWith(int slot, CsvCaCertificate signer, ECPrivateKeyParameters signerKey, IRandomSource random) =>
        Sign(slot, signer.Usage, signerKey, signer.UserIdBytes, random);

    /// <summary>The non-empty slots that claim to be made by a key of <paramref name="signerUsage"/>.</summary>
    public IReadOnlyList<CsvSignatureSlot> SignaturesBy(CsvUsage signerUsage) =>
        Signatures.Where(s => !s.IsEmpty && s.Usage == signerUsage).ToList();

    /// <summary>True when a slot with usage <paramref name="signerUsage"/> and algorithm 4 (SM2 signing) holds a valid
    /// SM2 signature by the key under ID <paramref name="signerUserId"/>. A slot claiming another algorithm is never
    /// accepted, even when its r and s happen to verify.</summary>
    public bool VerifySignature(CsvUsage signerUsage, ECPublicKeyParameters signerKey, ReadOnlySpan<byte> signerUserId)
    {
        foreach (var slot in SignaturesBy(signerUsage))
        {
            if (slot.Algorithm == CsvAlgorithm.Sm2Sign && Sm2.Verify(signerKey, signerUserId, SignedBytes, slot.R, slot.S))
                return true;
        }
        return false;
    }

    public bool IsSignedBy(CsvCertificate signer) => VerifySignature(signer.Usage, signer.PublicKey, signer.UserIdBytes);

    public bool IsSignedBy(CsvCaCertificate signer) => VerifySignature(signer.Usage, signer.PublicKey, signer.UserIdBytes);

    /// <summary>True when both certificates carry the same public key.</summary>
    public bool HasSamePublicKey(CsvCertificate other) => _x.AsSpan().SequenceEqual(other._x) && _y.AsSpan().SequenceEqual(other._y);

    public override string ToString() => $"CSV {Usage} certificate '{UserId}' (version {Version}, api {ApiMajor}.{ApiMinor}, algorithm {(uint)Algorithm})";

    internal static ECPublicKeyParameters CreatePublicKey(byte[] x, byte[] y, string role)
    {
        try
        {
            return Sm2.CreatePublicKey(x, y);
        }
        catch (CryptoFormatException)
        {
            throw new InvalidCertificateException(role, $"public key (x {Convert.ToHexString(x).ToLowerInvariant()}) is not a point on sm2p256v1");
        }
    }

    private static CsvSignatureSlot ReadSlot(ReadOnlySpan<byte> b, int index, string role)
    {
        int at = L.SignatureSlot(index);
        uint usage = CsvFieldReader.U32(b, at + L.SlotUsage);
        if (!CsvIds.IsKnownUsage(usage))
            throw new InvalidCertificateException(role, $"signature {index} usage 0x{usage:x4} at offset 0x{at + L.SlotUsage:x3} is unknown");
        uint algorithm = CsvFieldReader.U32(b, at + L.SlotAlgorithm);
        if (algorithm is not ((uint)CsvAlgorithm.None or (uint)CsvAlgorithm.Sm2Sign or (uint)CsvAlgorithm.Sm2KeyExchange))
            throw new InvalidCertificateException(role, $"signature {index} algorithm {algorithm} at offset 0x{at + L.SlotAlgorithm:x3} is unknown (expected 0, 4 or 5)");
        return new CsvSignatureSlot((CsvUsage)usage, (CsvAlgorithm)algorithm,
            CsvFieldReader.Scalar(b, at + L.SlotR, role, $"signature {index} r"),
            CsvFieldReader.Scalar(b, at + L.SlotS, role, $"signature {index} s"));
    }

    private static void WriteSlot(Span<byte> bytes, int index, CsvSignatureSlot slot)
    {
        int at = L.SignatureSlot(index);
        CsvFieldReader.WriteU32(bytes, at + L.SlotUsage, (uint)slot.Usage);
        CsvFieldReader.WriteU32(bytes, at + L.SlotAlgorithm, (uint)slot.Algorithm);
        Sm2.BigEndianToField(slot.R, bytes.Slice(at + L.SlotR, CsvCertificateLayout.FieldSize));
        Sm2.BigEndianToField(slot.S, bytes.Slice(at + L.SlotS, CsvCertificateLayout.FieldSize));
    }
}
