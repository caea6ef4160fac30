using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>
/// An AMD SEV platform certificate (PDH, PEK, OCA, CEK or a GODH we create), 2084 bytes.
/// Immutable: the original bytes are kept and are what signatures are checked over.
/// </summary>
public sealed class SevCertificate
{
    private const uint SupportedVersion = 1;
    private const int MaxRsaModulusBits = SevCertificateLayout.RsaComponentSize * 8;

    private readonly byte[] _bytes;
    private readonly byte[]? _ecX;
    private readonly byte[]? _ecY;
    private readonly RSAParameters? _rsa;

    private SevCertificate(byte[] bytes, string role)
    {
        _bytes = bytes;
        Role = role;
        Version = U32(SevCertificateLayout.Version);
        ApiMajor = bytes[SevCertificateLayout.ApiMajor];
        ApiMinor = bytes[SevCertificateLayout.ApiMinor];

        uint usage = U32(SevCertificateLayout.Usage);
        uint algorithm = U32(SevCertificateLayout.Algorithm);
        // Algorithm first: it is what tells a Hygon CSV certificate (same size, version 2) apart.
        if (!SevIds.IsKnownAlgorithm(algorithm))
            throw new InvalidCertificateException(role, $"algorithm 0x{algorithm:x} is not an AMD SEV algorithm" +
                (algorithm is 4 or 5 ? " (it is a Hygon CSV SM2 algorithm)" : ""));
        if (Version != SupportedVersion)
            throw new InvalidCertificateException(role, $"version {Version} is not the SEV platform certificate version {SupportedVersion}");
        if (!SevIds.IsPlatformUsage(usage))
            throw new InvalidCertificateException(role, $"usage 0x{usage:x} is not an SEV platform key usage (0x1001-0x1004)");
        Usage = (SevUsage)usage;
        Algorithm = (SevAlgorithm)algorithm;

        if (SevIds.IsEcc(Algorithm))
        {
            uint curve = U32(SevCertificateLayout.EcCurve);
            if (!SevIds.IsKnownCurve(curve))
                throw new InvalidCertificateException(role, $"ECC curve {curve} is not an AMD SEV curve (1 = P-256, 2 = P-384)" +
                    (curve == 3 ? "; curve 3 is Hygon CSV SM2" : ""));
            Curve = (SevCurve)curve;
            int size = SevIds.FieldSize(Curve.Value);
            _ecX = ReadLittleEndianComponent(SevCertificateLayout.EcX, SevCertificateLayout.EcComponentSize, size, "public key X");
            _ecY = ReadLittleEndianComponent(SevCertificateLayout.EcY, SevCertificateLayout.EcComponentSize, size, "public key Y");
        }
        else
        {
            uint bits = U32(SevCertificateLayout.RsaModulusBits);
            if (bits is < 1024 or > MaxRsaModulusBits || bits % 8 != 0)
                throw new InvalidCertificateException(role, $"RSA modulus size {bits} bits is not supported (1024-{MaxRsaModulusBits}, whole bytes)");
            int n = (int)bits / 8;
            var modulus = ReadLittleEndianComponent(SevCertificateLayout.RsaModulus, SevCertificateLayout.RsaComponentSize, n, "RSA modulus");
            var exponent = TrimLeadingZeros(ReadLittleEndianComponent(SevCertificateLayout.RsaExponent, SevCertificateLayout.RsaComponentSize, n, "RSA exponent"));
            if (exponent.Length == 0 || modulus[0] == 0)
                throw new InvalidCertificateException(role, "RSA key has a zero exponent or a modulus shorter than its declared size");
            if ((exponent[^1] & 1) == 0 || (exponent.Length == 1 && exponent[0] < 3))
                throw new InvalidCertificateException(role,
                    $"RSA public exponent 0x{Convert.ToHexStringLower(exponent)} is invalid (must be odd and at least 3)");
            _rsa = new RSAParameters { Modulus = modulus, Exponent = exponent };
        }

        var slots = new SevSignature[SevCertificateLayout.SignatureSlotCount];
        for (int i = 0; i < slots.Length; i++)
        {
            int at = SevCertificateLayout.SignatureSlot(i);
            uint sUsage = U32(at + SevCertificateLayout.SlotUsage);
            uint sAlg = U32(at + SevCertificateLayout.SlotAlgorithm);
            if (!SevIds.IsSlotUsage(sUsage))
                throw new InvalidCertificateException(role, $"signature {i + 1} usage 0x{sUsage:x} is not a known SEV usage");
            if (sAlg != 0 && !SevIds.IsKnownAlgorithm(sAlg))
                throw new InvalidCertificateException(role, $"signature {i + 1} algorithm 0x{sAlg:x} is not an AMD SEV algorithm");
            slots[i] = new SevSignature(sUsage, sAlg,
                bytes.AsSpan(at + SevCertificateLayout.SlotData, SevCertificateLayout.SlotDataSize).ToArray());
        }
        Signatures = slots;
    }

    /// <summary>What this certificate is in the chain ("PDH", "PEK", ...); used in error messages.</summary>
    public string Role { get; }
    public uint Version { get; }
    public byte ApiMajor { get; }
    public byte ApiMinor { get; }
    public SevUsage Usage { get; }
    public SevAlgorithm Algorithm { get; }
    /// <summary>Set for ECDSA/ECDH keys, null for RSA keys.</summary>
    public SevCurve? Curve { get; }
    public bool IsEcc => Curve.HasValue;
    public IReadOnlyList<SevSignature> Signatures { get; }

    /// <summary>The bytes every signature covers, [0, 0x414).</summary>
    public ReadOnlySpan<byte> SignedBytes => _bytes.AsSpan(0, SevCertificateLayout.SignedLength);

    public ReadOnlySpan<byte> RawBytes => _bytes;

    public byte[] ToArray() => (byte[])_bytes.Clone();

    /// <summary>The ECC public key with X/Y big-endian (for .NET); throws for RSA keys.</summary>
    public ECParameters GetEcParameters()
    {
        if (!IsEcc)
            throw new InvalidCertificateException(Role, $"algorithm 0x{(uint)Algorithm:x} has no ECC key");
        return new ECParameters
        {
            Curve = SevIds.ToEcCurve(Curve!.Value),
            Q = new ECPoint { X = (byte[])_ecX!.Clone(), Y = (byte[])_ecY!.Clone() },
        };
    }

    /// <summary>The RSA public key (big-endian for .NET); throws for ECC keys.</summary>
    public RSAParameters GetRsaParameters()
    {
        if (_rsa is not { } rsa)
            throw new InvalidCertificateException(Role, $"algorithm 0x{(uint)Algorithm:x} has no RSA key");
        return new RSAParameters { Modulus = (byte[])rsa.Modulus!.Clone(), Exponent = (byte[])rsa.Exponent!.Clone() };
    }

    /// <summary>X ‖ Y big-endian at the curve's field size: the input of the SEV chip id.</summary>
    public byte[] EcPublicKeyBigEndian()
    {
        var p = GetEcParameters();
        return [.. p.Q.X!, .. p.Q.Y!];
    }

    /// <summary>True when both certificates carry the same public key (same algorithm family, curve and point).</summary>
    public bool HasSamePublicKey(SevCertificate other) =>
        SevIds.IsEcc(Algorithm) == SevIds.IsEcc(other.Algorithm)
        && Curve == other.Curve
        && _bytes.AsSpan(SevCertificateLayout.PublicKey, SevCertificateLayout.PublicKeySize)
            .SequenceEqual(other._bytes.AsSpan(SevCertificateLayout.PublicKey, SevCertificateLayout.PublicKeySize));

    /// <summary>The first non-empty signature slot made with the given key usage (for display; verification
    /// must use <see cref="FindSignatures"/> and try every slot).</summary>
    public SevSignature? FindSignature(SevUsage signerUsage) =>
        Signatures.FirstOrDefault(s => !s.IsEmpty && s.Usage == signerUsage);

    /// <summary>Every non-empty signature slot that claims the given key usage, in slot order.</summary>
    public IReadOnlyList<SevSignature> FindSignatures(SevUsage signerUsage) =>
        Signatures.Where(s => !s.IsEmpty && s.Usage == signerUsage).ToList();

    public static SevCertificate Parse(ReadOnlySpan<byte> data, string role = "SEV certificate")
    {
        if (data.Length != SevCertificateLayout.Size)
            throw new InvalidCertificateException(role, $"size {data.Length} bytes, expected {SevCertificateLayout.Size}");
        return new SevCertificate(data.ToArray(), role);
    }

    /// <summary>Parses and requires a specific usage (a PEK where a PEK is expected).</summary>
    public static SevCertificate Parse(ReadOnlySpan<byte> data, string role, SevUsage expectedUsage)
    {
        var cert = Parse(data, role);
        if (cert.Usage != expectedUsage)
            throw new InvalidCertificateException(role,
                $"usage 0x{(uint)cert.Usage:x} ({SevIds.UsageName((uint)cert.Usage)}), expected 0x{(uint)expectedUsage:x} ({SevIds.UsageName((uint)expectedUsage)})");
        return cert;
    }

    /// <summary>
    /// True when the header names an AMD SEV algorithm (and, for ECC, an SEV curve). Detection never uses
    /// sizes: CSV certificates have the same size but SM2 algorithms (4, 5) on curve 3.
    /// </summary>
    public static bool IsSevCertificate(ReadOnlySpan<byte> data)
    {
        if (data.Length < SevCertificateLayout.Size)
            return false;
        uint algorithm = BinaryPrimitives.ReadUInt32LittleEndian(data[SevCertificateLayout.Algorithm..]);
        if (!SevIds.IsKnownAlgorithm(algorithm))
            return false;
        if (SevIds.IsRsa((SevAlgorithm)algorithm))
            return true;
        return SevIds.IsKnownCurve(BinaryPrimitives.ReadUInt32LittleEndian(data[SevCertificateLayout.EcCurve..]));
    }

    /// <summary>
    /// The guest owner's Diffie-Hellman certificate: version 1, api 0.0, usage PDH, ECDH-SHA256 on P-384,
    /// both signature slots empty (usage 0x1000, algorithm 0); firmware does not check them.
    /// </summary>
    public static SevCertificate CreateGodh(ReadOnlySpan<byte> xBigEndian, ReadOnlySpan<byte> yBigEndian)
    {
        const int fieldSize = 48;
        if (xBigEndian.Length != fieldSize || yBigEndian.Length != fieldSize)
            throw new ArgumentException($"P-384 coordinates are {fieldSize} bytes each");
        var b = new byte[SevCertificateLayout.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(SevCertificateLayout.Version), SupportedVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(SevCertificateLayout.Usage), (uint)SevUsage.Pdh);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(SevCertificateLayout.Algorithm), (uint)SevAlgorithm.EcdhSha256);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(SevCertificateLayout.EcCurve), (uint)SevCurve.P384);
        WriteLittleEndian(xBigEndian, b.AsSpan(SevCertificateLayout.EcX, SevCertificateLayout.EcComponentSize));
        WriteLittleEndian(yBigEndian, b.AsSpan(SevCertificateLayout.EcY, SevCertificateLayout.EcComponentSize));
        for (int i = 0; i < SevCertificateLayout.SignatureSlotCount; i++)
        {
            int at = SevCertificateLayout.SignatureSlot(i);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at + SevCertificateLayout.SlotUsage), (uint)SevUsage.Invalid);
        }
        return new SevCertificate(b, "GODH");
    }

    public override string ToString() =>
        $"{Role}: SEV {SevIds.UsageName((uint)Usage)} api {ApiMajor}.{ApiMinor} algorithm 0x{(uint)Algorithm:x}" +
        (Curve is { } c ? $" {c}" : "");

    /// <summary>Copies a big-endian number into a zero-padded little-endian field.</summary>
    internal static void WriteLittleEndian(ReadOnlySpan<byte> bigEndian, Span<byte> field)
    {
        field.Clear();
        for (int i = 0; i < bigEndian.Length; i++)
            field[i] = bigEndian[bigEndian.Length - 1 - i];
    }

    private uint U32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(offset));

    /// <summary>Reads a little-endian field as a big-endian number of <paramref name="size"/> bytes,
    /// rejecting non-zero bytes beyond that size (the field is wider than any key).</summary>
    private byte[] ReadLittleEndianComponent(int offset, int width, int size, string field)
    {
        var area = _bytes.AsSpan(offset, width);
        if (area[size..].ContainsAnyExcept((byte)0))
            throw new InvalidCertificateException(Role, $"{field} has non-zero bytes beyond the {size}-byte key size");
        var result = new byte[size];
        for (int i = 0; i < size; i++)
            result[i] = area[size - 1 - i];
        return result;
    }

    private static byte[] TrimLeadingZeros(byte[] value)
    {
        int i = 0;
        while (i < value.Length && value[i] == 0)
            i++;
        return value[i..];
    }
}
