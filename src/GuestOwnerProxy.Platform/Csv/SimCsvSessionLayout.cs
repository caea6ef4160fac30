namespace GuestOwnerProxy.Platform.Csv;

/// <summary>The 772-byte CSV LAUNCH_START session blob, the simulator's own copy.</summary>
internal static class SimCsvSessionLayout
{
    public const int Size = 0x304;
    public const int Nonce = 0x000;
    public const int NonceSize = 16;
    public const int WrapTk = 0x010;
    public const int WrapTkSize = 32;
    public const int WrapIv = 0x030;
    public const int WrapIvSize = 16;
    public const int WrapMac = 0x040;
    public const int SessionMac = 0x060;
    public const int MacSize = 32;
    public const int MsEnc = 0x124;
    public const int SessionMacCoverageStart = 0x124;
    public const int SessionMacCoverageEnd = 0x2C4;
    public const int SignedLength = 0x2C4;
    public const int SigR = 0x2C4;
    public const int SigS = 0x2E4;
    public const int MasterSize = 32;
    public const string KekLabel = "csv-kek";
    public const string KikLabel = "csv-kik";
    public const int SymmetricKeySize = 16;
    /// <summary>The GODH's user id and the SM2 ID of the session signature.</summary>
    public const string GodhUserId = "GUEST_USER_ID";
}
