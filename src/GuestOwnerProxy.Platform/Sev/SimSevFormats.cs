namespace GuestOwnerProxy.Platform.Sev;

/// <summary>Byte layout of the 2084-byte AMD SEV platform certificate, the simulator's own copy.</summary>
internal static class SimSevCertLayout
{
    public const int Size = 0x824;
    public const int Version = 0x000;
    public const int ApiMajor = 0x004;
    public const int ApiMinor = 0x005;
    public const int Usage = 0x008;
    public const int Algorithm = 0x00C;
    public const int Curve = 0x010;
    public const int X = 0x014;
    public const int Y = 0x05C;
    public const int EccFieldSize = 72;
    public const int SignedLength = 0x414;
    public static readonly int[] SlotOffsets = [0x414, 0x61C];
    public const int SlotUsage = 0;
    public const int SlotAlgorithm = 4;
    public const int SlotSignature = 8;
    public const int SlotSignatureSize = 512;
    public const int SlotR = 8;
    public const int SlotS = 8 + 72;
}

/// <summary>Byte layout of the AMD CA certificate (ARK, ASK): 64 + 3 × modulus bytes.</summary>
internal static class SimAmdCaLayout
{
    public const int Version = 0;
    public const int KeyId = 4;
    public const int CertifyingId = 20;
    public const int IdSize = 16;
    public const int Usage = 36;
    public const int PublicExponentBits = 56;
    public const int ModulusBits = 60;
    public const int PublicExponent = 64;

    public static int Size(int modulusBytes) => 64 + 3 * modulusBytes;
    public static int Modulus(int modulusBytes) => 64 + modulusBytes;
    public static int Signature(int modulusBytes) => 64 + 2 * modulusBytes;
}

internal static class SimSevConstants
{
    public const uint CurveP384 = 2;
    public const int P384Size = 48;
    public const uint AlgorithmRsaSha256 = 0x1;
    public const uint AlgorithmEcdsaSha256 = 0x2;
    public const uint AlgorithmEcdhSha256 = 0x3;
    public const uint AlgorithmRsaSha384 = 0x101;
    public const uint UsageArk = 0x00;
    public const uint UsageAsk = 0x13;
    public const uint UsageOca = 0x1001;
    public const uint UsagePek = 0x1002;
    public const uint UsagePdh = 0x1003;
    public const uint UsageCek = 0x1004;
    public const uint UsageEmptySlot = 0x1000;
}

/// <summary>The 128-byte SEV LAUNCH_START session blob.</summary>
internal static class SimSevSessionLayout
{
    public const int Size = 128;
    public const int Nonce = 0;
    public const int NonceSize = 16;
    public const int WrapTk = 16;
    public const int WrapTkSize = 32;
    public const int WrapIv = 48;
    public const int WrapIvSize = 16;
    public const int WrapMac = 64;
    public const int PolicyMac = 96;
    public const int MacSize = 32;
    public const int KeySize = 16;
    public const string MasterLabel = "sev-master-secret";
    public const string KekLabel = "sev-kek";
    public const string KikLabel = "sev-kik";
}
