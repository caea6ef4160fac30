using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;

namespace GuestOwnerProxy.Cli;

/// <summary>Certificate files named on the command line, split by the core's <see cref="CertificateSequence"/>.</summary>
public static class CertificateFile
{
    public static IReadOnlyList<CertificateEntry> Read(string command, string option, string path)
    {
        var bytes = CliFiles.Read(command, option, path, FileFormat.Certificates);
        try
        {
            return CertificateSequence.Split(bytes);
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

    public static string Describe(CertificateEntry e) => e.Certificate switch
    {
        CsvCertificate c => $"CSV {Name(c.Usage)}",
        CsvCaCertificate c => $"CSV {Name(c.Usage)}",
        SevCertificate c => $"SEV {SevIds.UsageName((uint)c.Usage)}",
        AmdCaCertificate c => $"AMD {SevIds.UsageName((uint)c.Usage)}",
        _ => "certificate",
    };

    public static string Name(CsvUsage usage) => usage.ToString().ToUpperInvariant();
}
