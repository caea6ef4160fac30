namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>Key usages used by SEV certificates and signature slots.</summary>
public enum SevUsage : uint
{
    Ark = 0x0000,
    Ask = 0x0013,
    /// <summary>Marks an empty signature slot.</summary>
    Invalid = 0x1000,
    Oca = 0x1001,
    Pek = 0x1002,
    Pdh = 0x1003,
    Cek = 0x1004,
}

/// <summary>Key/signature algorithms. The low byte is the key type, 0x100 selects SHA-384.</summary>
public enum SevAlgorithm : uint
{
    /// <summary>Empty signature slot.</summary>
    None = 0x000,
    RsaSha256 = 0x001,
    EcdsaSha256 = 0x002,
    EcdhSha256 = 0x003,
    RsaSha384 = 0x101,
    EcdsaSha384 = 0x102,
    EcdhSha384 = 0x103,
}

public enum SevCurve : uint
{
    P256 = 1,
    P384 = 2,
}

/// <summary>Classification helpers for the raw ids, so that parsing and platform detection share one table.</summary>
public static class SevIds
{
    public static bool IsKnownAlgorithm(uint value) => value is 0x1 or 0x2 or 0x3 or 0x101 or 0x102 or 0x103;

    public static bool IsKnownCurve(uint value) => value is 1 or 2;

    public static bool IsPlatformUsage(uint value) => value is >= 0x1001 and <= 0x1004;

    public static bool IsSlotUsage(uint value) =>
        value is (uint)SevUsage.Ark or (uint)SevUsage.Ask or (uint)SevUsage.Invalid || IsPlatformUsage(value);

    public static bool IsRsa(SevAlgorithm a) => a is SevAlgorithm.RsaSha256 or SevAlgorithm.RsaSha384;

    public static bool IsEcdsa(SevAlgorithm a) => a is SevAlgorithm.EcdsaSha256 or SevAlgorithm.EcdsaSha384;

    public static bool IsEcdh(SevAlgorithm a) => a is SevAlgorithm.EcdhSha256 or SevAlgorithm.EcdhSha384;

    public static bool IsEcc(SevAlgorithm a) => IsEcdsa(a) || IsEcdh(a);

    public static System.Security.Cryptography.HashAlgorithmName Hash(SevAlgorithm a) =>
        ((uint)a & 0x100) != 0
            ? System.Security.Cryptography.HashAlgorithmName.SHA384
            : System.Security.Cryptography.HashAlgorithmName.SHA256;

    public static int FieldSize(SevCurve curve) => curve == SevCurve.P256 ? 32 : 48;

    public static System.Security.Cryptography.ECCurve ToEcCurve(SevCurve curve) =>
        curve == SevCurve.P256
            ? System.Security.Cryptography.ECCurve.NamedCurves.nistP256
            : System.Security.Cryptography.ECCurve.NamedCurves.nistP384;

    public static string UsageName(uint usage) => usage switch
    {
        0x0000 => "ARK",
        0x0013 => "ASK",
        0x1000 => "invalid",
        0x1001 => "OCA",
        0x1002 => "PEK",
        0x1003 => "PDH",
        0x1004 => "CEK",
        _ => "unknown",
    };
}
