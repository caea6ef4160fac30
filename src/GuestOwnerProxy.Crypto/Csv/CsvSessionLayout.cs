namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>Which LAUNCH_START session blob layout to build. Only V1 (csv-rs / hag, 772 bytes) is known;
/// Hygon's hag tool takes the firmware build id when it builds the blob, so some firmware builds may expect another ms_enc layout, which would become V2.</summary>
public enum CsvSessionLayoutVersion
{
    V1 = 1,
}

/// <summary>Byte offsets of the V1 CSV session blob.</summary>
internal static class CsvSessionLayout
{
    public const int Size = 772;
    public const int Nonce = 0x000;
    public const int NonceSize = 16;
    public const int WrapTk = 0x010;
    public const int WrapTkSize = 32;
    public const int WrapIv = 0x030;
    public const int WrapIvSize = 16;
    public const int WrapMac = 0x040;
    public const int WrapMacSize = 32;
    public const int SessionMac = 0x060;
    public const int SessionMacSize = 32;
    public const int KeyId = 0x080;
    public const int KeyIdSize = 16;
    public const int RndPubKeyData = 0x090;
    public const int RndPubKeyDataSize = 148;
    public const int MsEnc = 0x124;
    public const int MsEncSize = 256;
    public const int VmDigest = 0x224;
    public const int VmDigestSize = 32;
    public const int PubkeyDigest = 0x244;
    public const int PubkeyDigestSize = 32;
    public const int VmId = 0x264;
    public const int VmIdSize = 16;
    public const int VmVersion = 0x274;
    public const int VmVersionSize = 16;
    public const int UserData = 0x284;
    public const int UserDataSize = 64;
    public const int SignatureR = 0x2C4;
    public const int SignatureS = 0x2E4;
    public const int SignatureScalarSize = 32;

    /// <summary>session_mac covers policy (u32 LE) ‖ bytes [<see cref="SessionMacStart"/>, <see cref="SessionMacEnd"/>).</summary>
    public const int SessionMacStart = MsEnc;
    public const int SessionMacEnd = SignatureR;

    /// <summary>The GODH signature covers bytes [0, <see cref="SignedLength"/>).</summary>
    public const int SignedLength = SignatureR;

    /// <summary>Master secret length and its SM2 ciphertext length (0x04 ‖ x1 ‖ y1 ‖ C3 ‖ C2).</summary>
    public const int MasterSecretSize = 32;
    public const int MsEncUsed = Sm2.CiphertextOverhead + MasterSecretSize;

    public const string GodhUserId = "GUEST_USER_ID";
}
