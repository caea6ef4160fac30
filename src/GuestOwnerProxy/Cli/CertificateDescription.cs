using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;

namespace GuestOwnerProxy.Cli;

/// <summary>The facts <c>gop cert show</c> prints about one certificate, in display order. Only public values.</summary>
public static class CertificateDescription
{
    public static List<KeyValuePair<string, object?>> Describe(CertificateEntry entry)
    {
        var f = new List<KeyValuePair<string, object?>>();
        void Add(string key, object? value) => f.Add(new(key, value));

        Add("index", entry.Index);
        Add("offset", entry.Offset);
        Add("size", entry.Bytes.Length);
        Add("platform", PlatformNames.Of(entry.Platform));
        switch (entry.Certificate)
        {
            case CsvCertificate c:
                Add("format", "CSV platform certificate");
                Add("usage", $"{CertificateFile.Name(c.Usage)} (0x{(uint)c.Usage:x4})");
                Add("version", c.Version);
                Add("api", $"{c.ApiMajor}.{c.ApiMinor}");
                Add("algorithm", $"{(c.Algorithm == CsvAlgorithm.Sm2Sign ? "SM2 signing" : "SM2 key exchange")} ({(uint)c.Algorithm})");
                Add("curve", "sm2p256v1 (3)");
                Add("publicKeyX", Hex(c.PublicKeyX));
                Add("publicKeyY", Hex(c.PublicKeyY));
                Add("userId", c.UserId);
                Add("sid", Hex(c.Sid));
                Add("signature1", Slot(c.Signature1));
                Add("signature2", Slot(c.Signature2));
                break;
            case CsvCaCertificate c:
                Add("format", "CSV CA certificate");
                Add("usage", $"{CertificateFile.Name(c.Usage)} (0x{(uint)c.Usage:x4})");
                Add("version", c.Version);
                Add("keyId", Hex(c.KeyId));
                Add("certifyingId", Hex(c.CertifyingId));
                Add("curve", "sm2p256v1 (3)");
                Add("publicKeyX", Hex(c.PublicKeyX));
                Add("publicKeyY", Hex(c.PublicKeyY));
                Add("userId", c.UserId);
                Add("selfSigned", c.IsSelfSigned);
                Add("pinnedRoot", c.Fingerprint == CsvChainVerifier.HygonHrkFingerprint ? "hygon" : null);
                break;
            case SevCertificate c:
                Add("format", "SEV platform certificate");
                Add("usage", $"{SevIds.UsageName((uint)c.Usage)} (0x{(uint)c.Usage:x4})");
                Add("version", c.Version);
                Add("api", $"{c.ApiMajor}.{c.ApiMinor}");
                Add("algorithm", $"{AlgorithmName(c.Algorithm)} (0x{(uint)c.Algorithm:x})");
                if (c.IsEcc)
                {
                    var p = c.GetEcParameters();
                    Add("curve", c.Curve == SevCurve.P256 ? "P-256 (1)" : "P-384 (2)");
                    Add("publicKeyX", Hex(p.Q.X));
                    Add("publicKeyY", Hex(p.Q.Y));
                }
                else
                {
                    var rsa = c.GetRsaParameters();
                    Add("key", $"RSA-{rsa.Modulus!.Length * 8}");
                    Add("modulus", Hex(rsa.Modulus));
                }
                Add("signature1", Slot(c.Signatures[0]));
                Add("signature2", Slot(c.Signatures[1]));
                break;
            case AmdCaCertificate c:
                Add("format", "AMD CA certificate");
                Add("usage", $"{SevIds.UsageName((uint)c.Usage)} (0x{(uint)c.Usage:x4})");
                Add("version", c.Version);
                Add("keyId", Hex([.. c.KeyId]));
                Add("certifyingId", Hex([.. c.CertifyingId]));
                Add("key", $"RSA-{c.ModulusBits}");
                Add("signature", $"RSA-PSS {c.SigningHash.Name}");
                Add("selfCertified", c.IsSelfCertified);
                if (c.IsSelfCertified)
                    Add("selfSigned", c.IsSignedBy(c));
                Add("pinnedRoot", AmdRootPins.GenerationOf(c.Fingerprint));
                break;
        }
        Add("sha256", entry.Fingerprint);
        return f;
    }

    public static string AlgorithmName(SevAlgorithm algorithm) => algorithm switch
    {
        SevAlgorithm.RsaSha256 => "RSA-SHA256",
        SevAlgorithm.EcdsaSha256 => "ECDSA-SHA256",
        SevAlgorithm.EcdhSha256 => "ECDH-SHA256",
        SevAlgorithm.RsaSha384 => "RSA-SHA384",
        SevAlgorithm.EcdsaSha384 => "ECDSA-SHA384",
        SevAlgorithm.EcdhSha384 => "ECDH-SHA384",
        SevAlgorithm.None => "none",
        _ => "unknown",
    };

    private static string Slot(CsvSignatureSlot slot) => slot.IsEmpty
        ? "empty"
        : $"by {CertificateFile.Name(slot.Usage)} (0x{(uint)slot.Usage:x4}), {(slot.Algorithm == CsvAlgorithm.Sm2Sign ? "SM2" : $"algorithm {(uint)slot.Algorithm}")}";

    private static string Slot(SevSignature slot) => slot.IsEmpty
        ? "empty"
        : $"by {SevIds.UsageName(slot.RawUsage)} (0x{slot.RawUsage:x4}), {AlgorithmName(slot.Algorithm)}";

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
