namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>Byte layout of the 2084-byte AMD SEV platform certificate (PDH, PEK, OCA, CEK, GODH).
/// All integers and key/signature components are little-endian.</summary>
internal static class SevCertificateLayout
{
    public const int Size = 2084;

    public const int Version = 0x000;
    public const int ApiMajor = 0x004;
    public const int ApiMinor = 0x005;
    public const int Usage = 0x008;
    public const int Algorithm = 0x00C;

    /// <summary>Public key area (1028 bytes). ECC: curve ‖ X ‖ Y; RSA: modulus bits ‖ exponent ‖ modulus.</summary>
    public const int PublicKey = 0x010;
    public const int PublicKeySize = 1028;

    public const int EcCurve = PublicKey;
    public const int EcX = PublicKey + 4;
    public const int EcY = EcX + EcComponentSize;
    /// <summary>Every ECC component (X, Y, R, S) occupies a 72-byte little-endian field, zero padded.</summary>
    public const int EcComponentSize = 72;

    public const int RsaModulusBits = PublicKey;
    public const int RsaExponent = PublicKey + 4;
    public const int RsaModulus = RsaExponent + RsaComponentSize;
    public const int RsaComponentSize = 512;

    /// <summary>End of the signed region: signatures cover bytes [0, SignedLength).</summary>
    public const int SignedLength = 0x414;

    public const int Signature1 = 0x414;
    public const int Signature2 = 0x61C;
    public const int SignatureSlotSize = 4 + 4 + 512;
    public const int SignatureSlotCount = 2;

    // Offsets inside one signature slot.
    public const int SlotUsage = 0;
    public const int SlotAlgorithm = 4;
    public const int SlotData = 8;
    public const int SlotEcR = SlotData;
    public const int SlotEcS = SlotData + EcComponentSize;
    public const int SlotDataSize = 512;

    public static int SignatureSlot(int index) => index switch
    {
        0 => Signature1,
        1 => Signature2,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };
}
