using GuestOwnerProxy.Crypto.Certificates;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>
/// A platform's exported chain in one of its two shapes: <c>cert_chain.cert</c> = PEK ‖ OCA ‖ CEK (6252 bytes),
/// or <c>sevctl export --full</c> = PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK (10000 bytes on Naples, 11536 on Rome and later).
/// </summary>
public sealed record SevCertificateChain(
    SevCertificate? Pdh,
    SevCertificate Pek,
    SevCertificate Oca,
    SevCertificate Cek,
    AmdCaCertificate? Ask,
    AmdCaCertificate? Ark)
{
    private const int Platform = SevCertificateLayout.Size;
    public const int ShortSize = 3 * Platform;
    public const int FullSize2048 = 4 * Platform + 2 * AmdCaCertificateLayout.Size2048;
    public const int FullSize4096 = 4 * Platform + 2 * AmdCaCertificateLayout.Size4096;

    public bool IsFull => Pdh is not null;

    public static bool IsFullChainSize(int length) => length is FullSize2048 or FullSize4096;

    public static SevCertificateChain Parse(ReadOnlySpan<byte> chain)
    {
        if (chain.Length == ShortSize)
        {
            return new SevCertificateChain(
                null,
                SevCertificate.Parse(chain.Slice(0, Platform), "PEK", SevUsage.Pek),
                SevCertificate.Parse(chain.Slice(Platform, Platform), "OCA", SevUsage.Oca),
                SevCertificate.Parse(chain.Slice(2 * Platform, Platform), "CEK", SevUsage.Cek),
                null,
                null);
        }
        if (IsFullChainSize(chain.Length))
        {
            int ca = (chain.Length - 4 * Platform) / 2;
            int at = 4 * Platform;
            return new SevCertificateChain(
                SevCertificate.Parse(chain.Slice(0, Platform), "PDH", SevUsage.Pdh),
                SevCertificate.Parse(chain.Slice(Platform, Platform), "PEK", SevUsage.Pek),
                SevCertificate.Parse(chain.Slice(2 * Platform, Platform), "OCA", SevUsage.Oca),
                SevCertificate.Parse(chain.Slice(3 * Platform, Platform), "CEK", SevUsage.Cek),
                AmdCaCertificate.Parse(chain.Slice(at, ca), "ASK", SevUsage.Ask),
                AmdCaCertificate.Parse(chain.Slice(at + ca, ca), "ARK", SevUsage.Ark));
        }
        throw new InvalidCertificateException("SEV certificate chain",
            $"size {chain.Length} bytes, expected {ShortSize} (PEK‖OCA‖CEK) or {FullSize2048}/{FullSize4096} (PDH‖PEK‖OCA‖CEK‖ASK‖ARK)");
    }
}
