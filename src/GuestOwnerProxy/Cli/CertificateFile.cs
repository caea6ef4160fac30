using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;

namespace GuestOwnerProxy.Cli;

/// <summary>Which of the four certificate formats an entry has.</summary>
public enum CertificateFormat
{
    CsvPlatform,
    CsvCa,
    SevPlatform,
    AmdCa,
}

/// <summary>One certificate found in a file, at <see cref="Offset"/>, parsed in the format its fields say.</summary>
public sealed class CertificateEntry
{
    private CertificateEntry(int index, int offset, byte[] bytes, CertificateFormat format, object certificate)
    {
        Index = index;
        Offset = offset;
        Bytes = bytes;
        Format = format;
        Certificate = certificate;
    }

    public int Index { get; }
    public int Offset { get; }
    public byte[] Bytes { get; }
    public CertificateFormat Format { get; }
    public object Certificate { get; }

    public PlatformKind Platform => Format is CertificateFormat.CsvPlatform or CertificateFormat.CsvCa ? PlatformKind.Csv : PlatformKind.Sev;

    public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData(Bytes));

    internal static CertificateEntry Of(int index, int offset, byte[] bytes, CertificateFormat format, object certificate) =>
        new(index, offset, bytes, format, certificate);
}

/// <summary>
/// Splits a certificate file into its certificates without trusting its size: a single certificate
/// (2084, 832, 1600), an hsk_cek (2916), a cert_chain (6252), PDH ‖ chain (8336) or a full export
/// (10000, 11536, ...). Each certificate's platform comes from its own fields (CSV: SM2 algorithm and
/// curve 3; SEV: AMD algorithm ids and P-256/P-384 or RSA), never from the file size.
/// </summary>
public static class CertificateFile
{
    private const int PlatformSize = 2084;
    private const int CsvCaSize = 832;
    // AMD CA header: version(4) key id(16) certifying id(16) usage(4) reserved(16) exponent bits(4) modulus bits(4).
    private const int AmdCaUsageOffset = 36;
    private const int AmdCaModulusBitsOffset = 60;
    private const int AmdCaHeaderSize = 64;
    // CSV CA: usage at 0x24, curve at 0x40.
    private const int CsvCaUsageOffset = 0x24;
    private const int CsvCaCurveOffset = 0x40;

    public static IReadOnlyList<CertificateEntry> Read(string command, string option, string path)
    {
        var bytes = CliFiles.Read(command, option, path);
        try
        {
            return Split(bytes);
        }
        catch (CryptoFormatException ex)
        {
            throw new CliUsageException($"gop {command}: {option}: '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Reads a file that must hold exactly one certificate.</summary>
    public static CertificateEntry ReadSingle(string command, string option, string path)
    {
        var entries = Read(command, option, path);
        if (entries.Count != 1)
            throw new CliUsageException(
                $"gop {command}: {option}: '{path}' holds {entries.Count} certificates ({string.Join(", ", entries.Select(Describe))}); give a file with one certificate");
        return entries[0];
    }

    public static IReadOnlyList<CertificateEntry> Split(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            throw new CryptoFormatException("the file is empty");
        var entries = new List<CertificateEntry>();
        int offset = 0;
        while (offset < data.Length)
        {
            var rest = data[offset..];
            string role = $"certificate {entries.Count + 1} at offset {offset}";
            var entry = TryPlatform(rest, entries.Count + 1, offset, role)
                ?? TryCa(rest, entries.Count + 1, offset, role)
                ?? throw Unrecognized(rest, role);
            entries.Add(entry);
            offset += entry.Bytes.Length;
        }
        return entries;
    }

    public static string Describe(CertificateEntry e) => e.Certificate switch
    {
        CsvCertificate c => $"CSV {Name(c.Usage)}",
        CsvCaCertificate c => $"CSV {Name(c.Usage)}",
        SevCertificate c => $"SEV {SevIds.UsageName((uint)c.Usage)}",
        AmdCaCertificate c => $"AMD {SevIds.UsageName((uint)c.Usage)}",
        _ => "certificate",
    };

    public static string Name(CsvUsage usage) => usage.ToString().ToUpperInvariant();

    private static CertificateEntry? TryPlatform(ReadOnlySpan<byte> rest, int index, int offset, string role)
    {
        if (rest.Length < PlatformSize)
            return null;
        var slice = rest[..PlatformSize];
        if (CsvCertificate.LooksLikeCsv(slice))
            return CertificateEntry.Of(index, offset, slice.ToArray(), CertificateFormat.CsvPlatform, CsvCertificate.Parse(slice, role));
        if (SevCertificate.IsSevCertificate(slice) && U32(slice, 0) == 1 && (U32(slice, 8) is >= 0x1001 and <= 0x1004))
            return CertificateEntry.Of(index, offset, slice.ToArray(), CertificateFormat.SevPlatform, SevCertificate.Parse(slice, role));
        return null;
    }

    private static CertificateEntry? TryCa(ReadOnlySpan<byte> rest, int index, int offset, string role)
    {
        if (rest.Length >= AmdCaHeaderSize && U32(rest, 0) == 1
            && U32(rest, AmdCaUsageOffset) is 0x00 or 0x13
            && U32(rest, AmdCaModulusBitsOffset) is 2048 or 4096)
        {
            int n = (int)U32(rest, AmdCaModulusBitsOffset) / 8;
            int size = AmdCaHeaderSize + 3 * n;
            // Too short: let the parser explain (it recognises AMD's unsigned Naples ark.cert.bad).
            var slice = rest.Length >= size ? rest[..size] : rest;
            var ca = AmdCaCertificate.Parse(slice, role);
            return CertificateEntry.Of(index, offset, slice.ToArray(), CertificateFormat.AmdCa, ca);
        }
        if (rest.Length >= CsvCaCurveOffset + 4 && U32(rest, CsvCaCurveOffset) == 3 && U32(rest, CsvCaUsageOffset) is 0x00 or 0x13)
        {
            if (rest.Length < CsvCaSize)
                throw new InvalidCertificateException(role, $"{rest.Length} bytes left, a CSV CA certificate (HRK/HSK) is {CsvCaSize}");
            var slice = rest[..CsvCaSize];
            return CertificateEntry.Of(index, offset, slice.ToArray(), CertificateFormat.CsvCa, CsvCaCertificate.Parse(slice, role));
        }
        return null;
    }

    private static CryptoFormatException Unrecognized(ReadOnlySpan<byte> rest, string role)
    {
        string detail = rest.Length >= 0x14
            ? $"version {U32(rest, 0)}, usage/algorithm fields 0x{U32(rest, 8):x}/0x{U32(rest, 12):x}"
            : $"only {rest.Length} bytes left";
        return new InvalidCertificateException(role,
            $"not a CSV or SEV platform certificate (2084 bytes), CSV CA (832) or AMD CA (832/1600) certificate ({detail})");
    }

    private static uint U32(ReadOnlySpan<byte> b, int offset) =>
        b.Length >= offset + 4 ? BinaryPrimitives.ReadUInt32LittleEndian(b[offset..]) : uint.MaxValue;
}
