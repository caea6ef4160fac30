using GuestOwnerProxy.Crypto.Common;
using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>
/// AMD's root (ARK) or signing (ASK) key certificate: RSA-2048 (832 bytes, Naples) or RSA-4096
/// (1600 bytes). Signed with RSA-PSS, hash SHA-256 for 2048-bit and SHA-384 for 4096-bit signers,
/// salt length = hash length (what .NET's <see cref="RSASignaturePadding.Pss"/> uses).
/// </summary>
public sealed class AmdCaCertificate
{
    private const uint SupportedVersion = 1;

    private readonly byte[] _bytes;
    private readonly RSAParameters _key;
    private readonly byte[] _signature;

    private AmdCaCertificate(byte[] bytes, string role)
    {
        _bytes = bytes;
        Role = role;
        Version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(AmdCaCertificateLayout.Version));
        if (Version != SupportedVersion)
            throw new InvalidCertificateException(role, $"version {Version}, expected {SupportedVersion}");

        uint usage = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(AmdCaCertificateLayout.Usage));
        if (usage is not ((uint)SevUsage.Ark or (uint)SevUsage.Ask))
            throw new InvalidCertificateException(role, $"usage 0x{usage:x} is neither ARK (0x0) nor ASK (0x13)");
        Usage = (SevUsage)usage;

        uint modulusBits = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(AmdCaCertificateLayout.ModulusBits));
        uint exponentBits = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(AmdCaCertificateLayout.ExponentBits));
        if (modulusBits is not (2048 or 4096))
            throw new InvalidCertificateException(role, $"modulus size {modulusBits} bits, expected 2048 or 4096");
        int n = (int)modulusBits / 8;
        if (bytes.Length != AmdCaCertificateLayout.Size(n))
            throw new InvalidCertificateException(role,
                $"size {bytes.Length} bytes does not match its {modulusBits}-bit modulus ({AmdCaCertificateLayout.Size(n)} bytes)");
        if (exponentBits == 0 || exponentBits > modulusBits)
            throw new InvalidCertificateException(role, $"public exponent size {exponentBits} bits is out of range (1-{modulusBits})");
        ModulusBits = (int)modulusBits;

        var modulus = ByteOrder.Reversed(bytes.AsSpan(AmdCaCertificateLayout.Modulus(n), n));
        var exponent = TrimLeadingZeros(ByteOrder.Reversed(bytes.AsSpan(AmdCaCertificateLayout.Exponent, n)));
        if (modulus[0] == 0 || exponent.Length == 0)
            throw new InvalidCertificateException(role, "RSA key has a zero exponent or a modulus shorter than its declared size");
        // OpenSSL refuses even or tiny exponents at import time; reject them here so the failure is a format
        // error naming the field rather than an exception from deep inside signature verification.
        if ((exponent[^1] & 1) == 0 || (exponent.Length == 1 && exponent[0] < 3))
            throw new InvalidCertificateException(role,
                $"RSA public exponent 0x{Convert.ToHexStringLower(exponent)} is invalid (must be odd and at least 3)");
        _key = new RSAParameters { Modulus = modulus, Exponent = exponent };
        _signature = ByteOrder.Reversed(bytes.AsSpan(AmdCaCertificateLayout.Signature(n), n));

        KeyId = bytes.AsSpan(AmdCaCertificateLayout.KeyId, AmdCaCertificateLayout.IdSize).ToArray();
        CertifyingId = bytes.AsSpan(AmdCaCertificateLayout.CertifyingId, AmdCaCertificateLayout.IdSize).ToArray();
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    public string Role { get; }
    public uint Version { get; }
    public SevUsage Usage { get; }
    public int ModulusBits { get; }
    public int ModulusBytes => ModulusBits / 8;
    public IReadOnlyList<byte> KeyId { get; }
    public IReadOnlyList<byte> CertifyingId { get; }
    /// <summary>Lowercase hex SHA-256 of the whole certificate file (what <see cref="AmdRootPins"/> pins).</summary>
    public string Fingerprint { get; }
    public bool IsSelfCertified => KeyId.SequenceEqual(CertifyingId);

    /// <summary>The hash this key signs with: SHA-256 for RSA-2048, SHA-384 for RSA-4096.</summary>
    public HashAlgorithmName SigningHash => ModulusBits == 2048 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384;

    public ReadOnlySpan<byte> RawBytes => _bytes;
    public byte[] ToArray() => (byte[])_bytes.Clone();
    public ReadOnlySpan<byte> SignedBytes => _bytes.AsSpan(0, AmdCaCertificateLayout.SignedLength(ModulusBytes));

    public RSAParameters GetRsaParameters() =>
        new() { Modulus = (byte[])_key.Modulus!.Clone(), Exponent = (byte[])_key.Exponent!.Clone() };

    public static bool IsCaCertificateSize(int length) =>
        length is AmdCaCertificateLayout.Size2048 or AmdCaCertificateLayout.Size4096;

    public static AmdCaCertificate Parse(ReadOnlySpan<byte> data, string role = "AMD CA certificate")
    {
        if (!IsCaCertificateSize(data.Length))
        {
            string hint = data.Length == AmdCaCertificateLayout.SignedLength(256)
                ? " (576 bytes is an unsigned RSA-2048 body such as AMD's published Naples ark.cert.bad: append its 256-byte signature, see CombineUnsigned)"
                : "";
            throw new InvalidCertificateException(role,
                $"size {data.Length} bytes, expected {AmdCaCertificateLayout.Size2048} (RSA-2048) or {AmdCaCertificateLayout.Size4096} (RSA-4096){hint}");
        }
        return new AmdCaCertificate(data.ToArray(), role);
    }

    /// <summary>Parses and requires the ARK or ASK usage.</summary>
    public static AmdCaCertificate Parse(ReadOnlySpan<byte> data, string role, SevUsage expectedUsage)
    {
        var cert = Parse(data, role);
        if (cert.Usage != expectedUsage)
            throw new InvalidCertificateException(role,
                $"usage 0x{(uint)cert.Usage:x} ({SevIds.UsageName((uint)cert.Usage)}), expected 0x{(uint)expectedUsage:x} ({SevIds.UsageName((uint)expectedUsage)})");
        return cert;
    }

    /// <summary>
    /// AMD published the Naples ARK without its signature (ark.cert.bad, 576 bytes) and the signature
    /// separately (ark.cert.sig, 256 bytes); their concatenation is the real certificate. The body must be
    /// an RSA-2048/4096 header+key and the signature as wide as the modulus.
    /// </summary>
    public static AmdCaCertificate CombineUnsigned(ReadOnlySpan<byte> unsignedBody, ReadOnlySpan<byte> signature, string role = "ARK")
    {
        foreach (int n in (int[])[256, 512])
        {
            if (unsignedBody.Length == AmdCaCertificateLayout.SignedLength(n))
            {
                if (signature.Length != n)
                    throw new InvalidCertificateException(role, $"signature is {signature.Length} bytes, expected {n} for a {n * 8}-bit key");
                return Parse([.. unsignedBody, .. signature], role);
            }
        }
        throw new InvalidCertificateException(role,
            $"unsigned body is {unsignedBody.Length} bytes, expected {AmdCaCertificateLayout.SignedLength(256)} or {AmdCaCertificateLayout.SignedLength(512)}");
    }

    /// <summary>True when <paramref name="signer"/> certified this certificate: the certifying id names the
    /// signer's key id and the RSA-PSS signature over [0, 64+2n) verifies under the signer's key.</summary>
    public bool IsSignedBy(AmdCaCertificate signer) =>
        CertifyingId.SequenceEqual(signer.KeyId) && signer.VerifyPss(SignedBytes, _signature);

    /// <summary>RSA-PSS verification with this key's hash (salt = hash length); <paramref name="signatureBigEndian"/>
    /// must be the usual big-endian signature.</summary>
    public bool VerifyPss(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signatureBigEndian) =>
        VerifyPss(message, signatureBigEndian, SigningHash);

    public bool VerifyPss(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signatureBigEndian, HashAlgorithmName hash)
    {
        if (signatureBigEndian.Length != ModulusBytes)
            return false;
        try
        {
            using var rsa = RSA.Create(_key);
            return rsa.VerifyData(message, signatureBigEndian, hash, RSASignaturePadding.Pss);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public override string ToString() =>
        $"{Role}: AMD {SevIds.UsageName((uint)Usage)} RSA-{ModulusBits} key id {Convert.ToHexStringLower([.. KeyId])}";

    private static byte[] TrimLeadingZeros(byte[] value)
    {
        int i = 0;
        while (i < value.Length && value[i] == 0)
            i++;
        return value[i..];
    }
}
