using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using Org.BouncyCastle.Crypto.Parameters;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>A CSV PDH that can carry a session: an SM2 key-exchange key (usage 0x1003, algorithm 5), its point checked
/// once. The same key object serves every session of the host, so BouncyCastle's per-point precomputation for the
/// master secret's encryption (k·P) is built once instead of at every launch.</summary>
public sealed class CsvPdhKey : PdhKey
{
    private CsvPdhKey(CsvCertificate certificate)
    {
        Certificate = certificate;
        Key = certificate.PublicKey;
    }

    public override PlatformKind Platform => PlatformKind.Csv;

    public CsvCertificate Certificate { get; }

    public ECPublicKeyParameters Key { get; }

    public static CsvPdhKey Import(CsvCertificate pdh)
    {
        ArgumentNullException.ThrowIfNull(pdh);
        if (pdh.Usage != CsvUsage.Pdh)
            throw new InvalidCertificateException(pdh.Role, $"usage 0x{(uint)pdh.Usage:x4} ({pdh.Usage}) where a PDH has 0x1003");
        // The master secret is SM2-encrypted to the PDH: only a key-exchange key (algorithm 5) is meant for that.
        if (pdh.Algorithm != CsvAlgorithm.Sm2KeyExchange)
            throw new InvalidCertificateException(pdh.Role,
                $"algorithm {(uint)pdh.Algorithm} ({pdh.Algorithm}) where a PDH has {(uint)CsvAlgorithm.Sm2KeyExchange} (SM2 key exchange); refusing to encrypt the master secret to it");
        return new CsvPdhKey(pdh);
    }
}
