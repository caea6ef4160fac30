using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Platform;

/// <summary>
/// A software stand-in for the PSP/CSV firmware: its certificates and the launch commands a guest
/// owner interacts with (LAUNCH_START, LAUNCH_UPDATE_DATA, LAUNCH_MEASURE, LAUNCH_SECRET).
/// Written from the specification only, so that it can check the guest-owner code independently.
/// </summary>
public interface ISoftwarePlatform
{
    PlatformKind Kind { get; }

    /// <summary>pdh.cert, 2084 bytes.</summary>
    byte[] PdhCertificate { get; }

    /// <summary>cert_chain.cert as hag/sevtool export it: PEK ‖ OCA ‖ CEK (6252 bytes).</summary>
    byte[] CertificateChain { get; }

    /// <summary>PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK (CSV) or PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK (SEV, sevctl export --full).</summary>
    byte[] FullChain { get; }

    /// <summary>The self-signed root: HRK (832 bytes) or ARK (832 or 1600 bytes).</summary>
    byte[] RootCertificate { get; }

    /// <summary>CSV: hsk_cek (HSK ‖ HSK-signed CEK, 2916 bytes). SEV: the ASK certificate.</summary>
    byte[] Intermediate { get; }

    /// <summary>Lowercase hex SHA-256 of <see cref="RootCertificate"/>, for pinning.</summary>
    string RootFingerprint { get; }

    FirmwareVersion Version { get; }

    /// <summary>LAUNCH_START: checks the guest owner's session and unwraps TEK/TIK. Throws <see cref="FirmwareException"/>.</summary>
    ISoftwareLaunch LaunchStart(byte[] godhCertificate, byte[] sessionBlob, uint policy);

    /// <summary>Writes pdh.cert, cert_chain.cert, full_chain.cert, the root and the intermediate file(s).</summary>
    void WriteTrustFiles(string directory);
}

/// <summary>One guest launch after a successful LAUNCH_START. Dispose zeroes the session keys.</summary>
public interface ISoftwareLaunch : IDisposable
{
    uint Policy { get; }

    /// <summary>LAUNCH_UPDATE_DATA: appends to the running launch digest (SM3 on CSV, SHA-256 on SEV).</summary>
    void UpdateData(ReadOnlySpan<byte> data);

    /// <summary>
    /// LAUNCH_UPDATE_VMSA: encrypts one vCPU's 4096-byte save area and extends the launch digest with it, in vCPU
    /// order after all LAUNCH_UPDATE_DATA. Only an SEV-ES/CSV2 launch (policy bit 0x4) has VMSAs to measure.
    /// </summary>
    void UpdateVmsa(ReadOnlySpan<byte> vmsaPage);

    /// <summary>How many VMSA pages were measured.</summary>
    int VmsaCount { get; }

    /// <summary>LAUNCH_MEASURE: 48 bytes = measure(32) ‖ mnonce(16). Closes the launch digest.</summary>
    byte[] Measure();

    /// <summary>The finished launch digest; available once <see cref="Measure"/> has run.</summary>
    byte[] LaunchDigest { get; }

    /// <summary>
    /// LAUNCH_SECRET followed by what the guest's efi_secret driver does with the area: verify the
    /// packet MAC, decrypt, and parse the secret table. Returns the non-deleted entries in order.
    /// </summary>
    IReadOnlyList<GuestSecretEntry> InjectSecret(byte[] header52, byte[] data);
}

/// <summary>One entry of the injected secret table as the guest sees it.</summary>
public sealed record GuestSecretEntry(Guid Guid, byte[] Data);

/// <summary>The firmware's API version and build; they enter certificates and the measurement.</summary>
public sealed record FirmwareVersion(byte ApiMajor, byte ApiMinor, uint BuildId)
{
    /// <summary>A CSV firmware as seen on Hygon C86 parts (API 1.2; Hygon build ids are wider than a byte).</summary>
    public static FirmwareVersion CsvDefault { get; } = new(1, 2, 1600);

    /// <summary>A current SEV firmware (API 0.24, build 15).</summary>
    public static FirmwareVersion SevDefault { get; } = new(0, 24, 15);

    public override string ToString() => $"{ApiMajor}.{ApiMinor} build {BuildId}";
}

/// <summary>Which of the candidate CSV measurement formulas the simulated firmware uses.</summary>
public enum CsvMeasurementVariant
{
    /// <summary>0x04 ‖ api_major ‖ api_minor ‖ policy ‖ LD ‖ mnonce (csv-rs).</summary>
    NoBuild,
    /// <summary>As NoBuild with one build byte (build &amp; 0xff) after api_minor, as on AMD.</summary>
    Build8,
    /// <summary>As NoBuild with a u32 little-endian build id after api_minor.</summary>
    Build32,
}

public sealed class SoftwarePlatformOptions
{
    /// <summary>Firmware version; null selects <see cref="FirmwareVersion.CsvDefault"/> or <see cref="FirmwareVersion.SevDefault"/>.</summary>
    public FirmwareVersion? Version { get; init; }

    /// <summary>The CSV measurement formula. Default <see cref="CsvMeasurementVariant.Build32"/>: the one that
    /// covers the whole build id, so a guest owner's build rule is authenticated against this firmware.</summary>
    public CsvMeasurementVariant CsvVariant { get; init; } = CsvMeasurementVariant.Build32;

    /// <summary>Size of the guest's secret area (OVMF AmdSev builds: 3072 bytes).</summary>
    public int SecretAreaSize { get; init; } = 3072;

    /// <summary>Seed for every long-term key and certificate; null = fresh random keys.</summary>
    public byte[]? Seed { get; init; }

    /// <summary>
    /// SEV only: a Rome-shaped RSA-4096 ARK/ASK instead of the faster Naples-shaped RSA-2048. With a seed,
    /// BouncyCastle generates the keys (tens of seconds for 4096 bits; cached per process).
    /// </summary>
    public bool SevRsa4096 { get; init; }

    /// <summary>Randomness at run time (mnonce); null = the operating system's CSPRNG.</summary>
    public IRandomSource? RuntimeRandom { get; init; }
}

/// <summary>Why the simulated firmware refused a command (the firmware's status, in words).</summary>
public enum FirmwareError
{
    InvalidLength,
    InvalidCertificate,
    BadSessionSignature,
    BadMasterSecret,
    BadWrapMac,
    BadSessionMac,
    BadPolicyMac,
    PolicyUnsupported,
    InvalidState,
    /// <summary>A command the launch's policy does not allow (LAUNCH_UPDATE_VMSA without the ES bit).</summary>
    PolicyViolation,
    BadSecretMac,
    SecretAreaTooSmall,
    MalformedSecretTable,
}

/// <summary>A command the simulated firmware refused. Messages never contain key material.</summary>
public sealed class FirmwareException : Exception
{
    public FirmwareException(FirmwareError error, string message) : base(message) => Error = error;

    public FirmwareException(FirmwareError error, string message, Exception inner) : base(message, inner) => Error = error;

    public FirmwareError Error { get; }
}
