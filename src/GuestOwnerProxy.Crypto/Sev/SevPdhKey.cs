using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>An SEV PDH that can carry a session: an ECDH P-384 key (usage 0x1003, algorithm 0x3/0x103, curve 2), its
/// point checked and imported once.</summary>
public sealed class SevPdhKey : PdhKey
{
    private SevPdhKey(SevCertificate certificate, P384PublicKey key)
    {
        Certificate = certificate;
        Key = key;
    }

    public override PlatformKind Platform => PlatformKind.Sev;

    public SevCertificate Certificate { get; }

    public P384PublicKey Key { get; }

    public static SevPdhKey Import(SevCertificate pdh)
    {
        ArgumentNullException.ThrowIfNull(pdh);
        if (pdh.Usage != SevUsage.Pdh || !SevIds.IsEcdh(pdh.Algorithm) || pdh.Curve != SevCurve.P384)
            throw new InvalidCertificateException(pdh.Role,
                $"a session needs an ECDH P-384 PDH (usage 0x1003, algorithm 0x3/0x103, curve 2); got usage 0x{(uint)pdh.Usage:x}, " +
                $"algorithm 0x{(uint)pdh.Algorithm:x}, curve {(pdh.Curve is { } c ? ((uint)c).ToString() : "none (RSA)")}");
        var q = pdh.GetEcParameters().Q;
        try
        {
            return new SevPdhKey(pdh, P384PublicKey.Import(q.X, q.Y));
        }
        catch (CryptographicException e)
        {
            throw new InvalidCertificateException(pdh.Role, $"public key is not a valid P-384 point ({e.Message})");
        }
    }
}
