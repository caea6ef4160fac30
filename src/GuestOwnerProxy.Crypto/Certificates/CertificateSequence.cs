using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;

namespace GuestOwnerProxy.Crypto.Certificates;

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
/// Splits bytes holding certificates back to back into its certificates without trusting their total size:
/// a single certificate (2084, 832, 1600), an hsk_cek (2916), a cert_chain (6252), PDH ‖ chain (8336) or a full
/// export (10000, 11536, ...). Each certificate's platform comes from its own fields (CSV: SM2 algorithm and
/// curve 3; SEV: AMD algorithm ids and P-256/P-384 or RSA), never from the size.
/// </summary>
public static class CertificateSequence
{
    private const int PlatformSize = PlatformEvidence.CertificateSize;
    private const int CsvCaSize = CsvCertificateLayout.Ca.Size;

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
        if (rest.Length >= AmdCaCertificateLayout.HeaderSize && U32(rest, 0) == 1
            && U32(rest, AmdCaCertificateLayout.Usage) is 0x00 or 0x13
            && U32(rest, AmdCaCertificateLayout.ModulusBits) is 2048 or 4096)
        {
            int n = (int)U32(rest, AmdCaCertificateLayout.ModulusBits) / 8;
            int size = AmdCaCertificateLayout.Size(n);
            // Too short: let the parser explain (it recognises AMD's unsigned Naples ark.cert.bad).
            var slice = rest.Length >= size ? rest[..size] : rest;
            var ca = AmdCaCertificate.Parse(slice, role);
            return CertificateEntry.Of(index, offset, slice.ToArray(), CertificateFormat.AmdCa, ca);
        }
        if (rest.Length >= CsvCertificateLayout.Ca.Curve + 4 && U32(rest, CsvCertificateLayout.Ca.Curve) == 3 && U32(rest, CsvCertificateLayout.Ca.Usage) is 0x00 or 0x13)
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
            $"not a CSV or SEV platform certificate ({PlatformSize} bytes), CSV CA ({CsvCaSize}) or AMD CA ({AmdCaCertificateLayout.Size2048}/{AmdCaCertificateLayout.Size4096}) certificate ({detail})");
    }

    private static uint U32(ReadOnlySpan<byte> b, int offset) =>
        b.Length >= offset + 4 ? BinaryPrimitives.ReadUInt32LittleEndian(b[offset..]) : uint.MaxValue;
}
