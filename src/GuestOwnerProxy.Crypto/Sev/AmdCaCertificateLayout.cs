namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>Byte layout of AMD's ARK/ASK certificate: a 64-byte header then exponent, modulus and
/// signature, each as wide as the modulus and little-endian.</summary>
internal static class AmdCaCertificateLayout
{
    public const int Version = 0;
    public const int KeyId = 4;
    public const int CertifyingId = 20;
    public const int IdSize = 16;
    public const int Usage = 36;
    public const int Reserved = 40;
    public const int ExponentBits = 56;
    public const int ModulusBits = 60;
    public const int HeaderSize = 64;
    public const int Exponent = HeaderSize;

    /// <summary>RSA-2048 (Naples) and RSA-4096 (Rome and later): 832 and 1600 bytes.</summary>
    public const int Size2048 = HeaderSize + 3 * 256;
    public const int Size4096 = HeaderSize + 3 * 512;

    public static int Modulus(int n) => HeaderSize + n;
    public static int Signature(int n) => HeaderSize + 2 * n;
    /// <summary>Signed region [0, SignedLength(n)).</summary>
    public static int SignedLength(int n) => HeaderSize + 2 * n;
    public static int Size(int n) => HeaderSize + 3 * n;
}
