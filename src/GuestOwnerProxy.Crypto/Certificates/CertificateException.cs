using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Certificates;

/// <summary>A certificate that cannot be parsed: wrong size, unknown usage/algorithm/curve, bad field.
/// The message names the certificate (PDH, PEK, HSK, ...), the field and the offending value.</summary>
public sealed class InvalidCertificateException : CryptoFormatException
{
    public InvalidCertificateException(string certificate, string message)
        : base($"{certificate}: {message}") => Certificate = certificate;

    public string Certificate { get; }
}

/// <summary>A chain link that did not verify. <see cref="Link"/> names it ("HSK->CEK", "PEK->PDH", "root").</summary>
public sealed class ChainVerificationException : Exception
{
    public ChainVerificationException(string link, string reason)
        : base($"certificate chain broken at {link}: {reason}")
    {
        Link = link;
        Reason = reason;
    }

    public string Link { get; }
    public string Reason { get; }
}
