namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>Key usage ids of Hygon CSV certificates. Also used in signature slots to
/// say which key made the signature.</summary>
public enum CsvUsage : uint
{
    Hrk = 0x0000,
    Hsk = 0x0013,
    /// <summary>Marks an empty signature slot.</summary>
    Invalid = 0x1000,
    Oca = 0x1001,
    Pek = 0x1002,
    Pdh = 0x1003,
    Cek = 0x1004,
}

/// <summary>Key algorithm ids of CSV platform certificates.</summary>
public enum CsvAlgorithm : uint
{
    /// <summary>Only in an empty signature slot.</summary>
    None = 0,
    Sm2Sign = 4,
    /// <summary>SM2 key exchange / encryption (PDH, GODH).</summary>
    Sm2KeyExchange = 5,
}

/// <summary>Curve ids; CSV knows only SM2-256 (sm2p256v1).</summary>
public enum CsvCurve : uint
{
    Sm2P256 = 3,
}

internal static class CsvIds
{
    public static bool IsKnownUsage(uint value) => value is 0x0000 or 0x0013 or 0x1000 or 0x1001 or 0x1002 or 0x1003 or 0x1004;

    public static string Describe(uint usage) => IsKnownUsage(usage)
        ? $"0x{usage:x4} ({(CsvUsage)usage})"
        : $"0x{usage:x4}";
}
