namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>
/// Byte offsets of the two Hygon CSV certificate formats, confirmed on the real HRK,
/// HSK, CEK and PEK. Every integer is little-endian; key coordinates and signature r/s sit
/// little-endian in 72-byte fields of which only the first 32 bytes carry the value.
/// </summary>
internal static class CsvCertificateLayout
{
    /// <summary>Width of a coordinate / r / s field; only <see cref="ScalarSize"/> bytes are used.</summary>
    public const int FieldSize = 72;
    public const int ScalarSize = 32;
    public const int MaxUserIdLength = 254;
    public const int IdSize = 16;

    /// <summary>PDH, PEK, OCA, CEK and GODH: 2084 bytes, signed over [0, <see cref="Platform.SignedLength"/>).</summary>
    public static class Platform
    {
        public const int Size = 2084;
        public const int Version = 0x000;
        public const int ApiMajor = 0x004;
        public const int ApiMinor = 0x005;
        public const int Usage = 0x008;
        public const int Algorithm = 0x00C;
        public const int Curve = 0x010;
        public const int PublicKeyX = 0x014;
        public const int PublicKeyY = 0x05C;
        public const int UserIdLength = 0x0A4;
        public const int UserId = 0x0A6;
        public const int Sid = 0x1A4;
        public const int SignedLength = 0x414;
        public const int Signature1 = 0x414;
        public const int Signature2 = 0x61C;

        /// <summary>Offsets inside one signature slot.</summary>
        public const int SlotUsage = 0x00;
        public const int SlotAlgorithm = 0x04;
        public const int SlotR = 0x08;
        public const int SlotS = 0x08 + FieldSize;

        public static int SignatureSlot(int index) => index switch
        {
            1 => Signature1,
            2 => Signature2,
            _ => throw new ArgumentOutOfRangeException(nameof(index), index, "CSV platform certificates have signature slots 1 and 2"),
        };
    }

    /// <summary>HRK and HSK: 832 bytes, signed over [0, <see cref="Ca.SignedLength"/>).</summary>
    public static class Ca
    {
        public const int Size = 832;
        public const int Version = 0x000;
        public const int KeyId = 0x004;
        public const int CertifyingId = 0x014;
        public const int Usage = 0x024;
        public const int Curve = 0x040;
        public const int PublicKeyX = 0x044;
        public const int PublicKeyY = 0x08C;
        public const int UserIdLength = 0x0D4;
        public const int UserId = 0x0D6;
        public const int SignedLength = 0x240;
        public const int SignatureR = 0x240;
        public const int SignatureS = 0x240 + FieldSize;
    }

    /// <summary>Hygon key server <c>hsk_cek</c> file: HSK ‖ CEK.</summary>
    public const int HskCekSize = Ca.Size + Platform.Size;

    /// <summary>Platform export <c>cert_chain.cert</c>: PEK ‖ OCA ‖ CEK.</summary>
    public const int CertChainSize = 3 * Platform.Size;
}
