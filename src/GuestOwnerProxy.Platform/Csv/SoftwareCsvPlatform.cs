using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

using GuestOwnerProxy.Platform.Csv;

namespace GuestOwnerProxy.Platform;

/// <summary>
/// A software Hygon CSV firmware: its own HRK → HSK → CEK → PEK ← OCA, PEK → PDH chain in the real
/// 2084/832-byte formats, and LAUNCH_START/MEASURE/SECRET per csv.md. All long-term keys and
/// signatures come from the seed, so the same seed gives byte-identical certificates.
/// </summary>
public sealed class SoftwareCsvPlatform : ISoftwarePlatform
{
    internal const string HrkId = "HYGON-SSD-HRK";
    internal const string HskId = "HYGON-SSD-HSK";
    internal const string CekId = "HYGON-SSD-CEK";
    internal const string OcaId = "HYGON-SSD-OCA";
    internal const string PekId = "HYGON-SSD-PEK";
    internal const string PdhId = "HYGON-SSD-PDH";
    private const uint PlatformCertVersion = 1;
    private const int KeyIdSize = 16;

    private readonly ECPrivateKeyParameters _pdhPrivate;
    private readonly SoftwarePlatformOptions _options;
    private readonly IRandomSource _runtimeRandom;

    private SoftwareCsvPlatform(SoftwarePlatformOptions options, FirmwareVersion version, ECPrivateKeyParameters pdhPrivate,
        byte[] hrk, byte[] hsk, byte[] cek, byte[] oca, byte[] pek, byte[] pdh)
    {
        _options = options;
        _pdhPrivate = pdhPrivate;
        _runtimeRandom = options.RuntimeRandom ?? SystemRandomSource.Instance;
        Version = version;
        RootCertificateBytes = hrk;
        HskBytes = hsk;
        CekBytes = cek;
        OcaBytes = oca;
        PekBytes = pek;
        PdhBytes = pdh;
        RootFingerprint = Convert.ToHexString(SHA256.HashData(hrk)).ToLowerInvariant();
    }

    public static byte[] DevelopmentSeed => SoftwarePlatformSeeds.DevelopmentSeed;

    public PlatformKind Kind => PlatformKind.Csv;
    public FirmwareVersion Version { get; }
    public CsvMeasurementVariant MeasurementVariant => _options.CsvVariant;
    public string RootFingerprint { get; }

    private byte[] RootCertificateBytes { get; }
    private byte[] HskBytes { get; }
    private byte[] CekBytes { get; }
    private byte[] OcaBytes { get; }
    private byte[] PekBytes { get; }
    private byte[] PdhBytes { get; }

    public byte[] PdhCertificate => PdhBytes.ToArray();
    public byte[] CertificateChain => [.. PekBytes, .. OcaBytes, .. CekBytes];
    public byte[] FullChain => [.. PdhBytes, .. PekBytes, .. OcaBytes, .. CekBytes, .. HskBytes, .. RootCertificateBytes];
    public byte[] RootCertificate => RootCertificateBytes.ToArray();
    public byte[] Intermediate => [.. HskBytes, .. CekBytes];

    public static SoftwareCsvPlatform Create(SoftwarePlatformOptions? options = null)
    {
        options ??= new SoftwarePlatformOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SecretAreaSize, 20, nameof(options.SecretAreaSize));
        var version = options.Version ?? FirmwareVersion.CsvDefault;
        byte[] seed = SoftwarePlatformSeeds.Resolve(options.Seed);
        try
        {
            SecureRandom Stream(string label) => new SimulatorSecureRandom(new DeterministicRandomSource(seed, "csv/" + label));
            byte[] KeyId(string label)
            {
                var id = new byte[KeyIdSize];
                new DeterministicRandomSource(seed, "csv/key-id/" + label).Fill(id);
                return id;
            }

            var hrkKey = Sm2Operations.GenerateKeyPair(Stream("hrk"));
            var hskKey = Sm2Operations.GenerateKeyPair(Stream("hsk"));
            var cekKey = Sm2Operations.GenerateKeyPair(Stream("cek"));
            var ocaKey = Sm2Operations.GenerateKeyPair(Stream("oca"));
            var pekKey = Sm2Operations.GenerateKeyPair(Stream("pek"));
            var pdhKey = Sm2Operations.GenerateKeyPair(Stream("pdh"));
            byte[] hrkKeyId = KeyId("hrk"), hskKeyId = KeyId("hsk");

            byte[] hrk = SimCsvCaCertificate.Write(hrkKeyId, hrkKeyId, SimCsvConstants.UsageHrk, Public(hrkKey), HrkId);
            SimCsvCaCertificate.Sign(hrk, Private(hrkKey), HrkId, Stream("sign/hrk"));

            byte[] hsk = SimCsvCaCertificate.Write(hskKeyId, hrkKeyId, SimCsvConstants.UsageHsk, Public(hskKey), HskId);
            SimCsvCaCertificate.Sign(hsk, Private(hrkKey), HrkId, Stream("sign/hsk"));

            byte[] cek = PlatformCert(version, SimCsvConstants.UsageCek, SimCsvConstants.AlgorithmSm2Sign, cekKey, CekId, hskKeyId);
            SimCsvCertificate.Sign(cek, 0, SimCsvConstants.UsageHsk, Private(hskKey), HskId, Stream("sign/cek"));

            byte[] oca = PlatformCert(version, SimCsvConstants.UsageOca, SimCsvConstants.AlgorithmSm2Sign, ocaKey, OcaId, default);
            SimCsvCertificate.Sign(oca, 0, SimCsvConstants.UsageOca, Private(ocaKey), OcaId, Stream("sign/oca"));

            // Real Hygon PEKs carry the CEK's signature in slot 1 and the OCA's in slot 2.
            byte[] pek = PlatformCert(version, SimCsvConstants.UsagePek, SimCsvConstants.AlgorithmSm2Sign, pekKey, PekId, default);
            SimCsvCertificate.Sign(pek, 0, SimCsvConstants.UsageCek, Private(cekKey), CekId, Stream("sign/pek-by-cek"));
            SimCsvCertificate.Sign(pek, 1, SimCsvConstants.UsageOca, Private(ocaKey), OcaId, Stream("sign/pek-by-oca"));

            byte[] pdh = PlatformCert(version, SimCsvConstants.UsagePdh, SimCsvConstants.AlgorithmSm2KeyExchange, pdhKey, PdhId, default);
            SimCsvCertificate.Sign(pdh, 0, SimCsvConstants.UsagePek, Private(pekKey), PekId, Stream("sign/pdh"));

            return new SoftwareCsvPlatform(options, version, Private(pdhKey), hrk, hsk, cek, oca, pek, pdh);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public ISoftwareLaunch LaunchStart(byte[] godhCertificate, byte[] sessionBlob, uint policy)
    {
        ArgumentNullException.ThrowIfNull(godhCertificate);
        ArgumentNullException.ThrowIfNull(sessionBlob);
        if (sessionBlob.Length != SimCsvSessionLayout.Size)
            throw new FirmwareException(FirmwareError.InvalidLength,
                $"CSV LAUNCH_START: session blob must be {SimCsvSessionLayout.Size} bytes, got {sessionBlob.Length}");

        var godh = SimCsvCertificate.Parse(godhCertificate, "CSV LAUNCH_START GODH");
        if (godh.Usage != SimCsvConstants.UsagePdh || godh.Algorithm != SimCsvConstants.AlgorithmSm2KeyExchange)
            throw new FirmwareException(FirmwareError.InvalidCertificate,
                $"CSV LAUNCH_START GODH: usage 0x{godh.Usage:x} algorithm {godh.Algorithm}, expected usage 0x1003 algorithm 5");
        // The GODH's user id is GUEST_USER_ID and the session is signed under that fixed SM2 ID;
        // the firmware does not take the ID from the certificate, so neither does the simulator.
        if (godh.UserId != SimCsvSessionLayout.GodhUserId)
            throw new FirmwareException(FirmwareError.InvalidCertificate,
                $"CSV LAUNCH_START GODH: user id \"{godh.UserId}\", expected \"{SimCsvSessionLayout.GodhUserId}\"");

        ReadOnlySpan<byte> blob = sessionBlob;
        byte[] rs = [.. LittleEndianField.Read(blob[SimCsvSessionLayout.SigR..], 32), .. LittleEndianField.Read(blob[SimCsvSessionLayout.SigS..], 32)];
        if (!Sm2Operations.Verify(godh.PublicKey, SimCsvSessionLayout.GodhUserId, blob[..SimCsvSessionLayout.SignedLength], rs))
            throw new FirmwareException(FirmwareError.BadSessionSignature,
                $"CSV LAUNCH_START: session signature does not verify under the GODH key (SM2 ID \"{SimCsvSessionLayout.GodhUserId}\")");

        byte[] master = DecryptMaster(blob.Slice(SimCsvSessionLayout.MsEnc, Sm2Operations.CiphertextSizeFor32));
        byte[] kek = CsvFirmwareKdf.Derive(master, 32, default, SimCsvSessionLayout.KekLabel);
        byte[] kik = CsvFirmwareKdf.Derive(master, 32, default, SimCsvSessionLayout.KikLabel);
        byte[] keys = new byte[SimCsvSessionLayout.WrapTkSize];
        try
        {
            ReadOnlySpan<byte> wrapIv = blob.Slice(SimCsvSessionLayout.WrapIv, SimCsvSessionLayout.WrapIvSize);
            ReadOnlySpan<byte> wrapTk = blob.Slice(SimCsvSessionLayout.WrapTk, SimCsvSessionLayout.WrapTkSize);
            byte[] wrapMac = FirmwareCrypto.HmacSm3(kik, [.. wrapIv, .. wrapTk]);
            if (!CryptographicOperations.FixedTimeEquals(wrapMac, blob.Slice(SimCsvSessionLayout.WrapMac, SimCsvSessionLayout.MacSize)))
                throw new FirmwareException(FirmwareError.BadWrapMac,
                    "CSV LAUNCH_START: wrap_mac does not verify (wrong master secret or altered wrap_iv/wrap_tk)");

            FirmwareCrypto.Sm4Ctr(kek.AsSpan(0, SimCsvSessionLayout.SymmetricKeySize), wrapIv, wrapTk, keys);
            byte[] tek = keys.AsSpan(0, 16).ToArray();
            byte[] tik = keys.AsSpan(16, 16).ToArray();

            byte[] macInput = new byte[4 + SimCsvSessionLayout.SessionMacCoverageEnd - SimCsvSessionLayout.SessionMacCoverageStart];
            BinaryPrimitives.WriteUInt32LittleEndian(macInput, policy);
            blob[SimCsvSessionLayout.SessionMacCoverageStart..SimCsvSessionLayout.SessionMacCoverageEnd].CopyTo(macInput.AsSpan(4));
            if (!CryptographicOperations.FixedTimeEquals(FirmwareCrypto.HmacSm3(tik, macInput),
                    blob.Slice(SimCsvSessionLayout.SessionMac, SimCsvSessionLayout.MacSize)))
            {
                CryptographicOperations.ZeroMemory(tek);
                CryptographicOperations.ZeroMemory(tik);
                throw new FirmwareException(FirmwareError.BadSessionMac,
                    $"CSV LAUNCH_START: session_mac does not verify for policy 0x{policy:x8}");
            }
            PolicyCheck.RequireSupportedApi(policy, Version);
            return new SoftwareCsvLaunch(this, _runtimeRandom, _options.SecretAreaSize, tek, tik, policy);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(master);
            CryptographicOperations.ZeroMemory(kek);
            CryptographicOperations.ZeroMemory(kik);
            CryptographicOperations.ZeroMemory(keys);
        }
    }

    public void WriteTrustFiles(string directory) => TrustFiles.Write(directory,
    [
        (TrustFiles.Pdh, PdhCertificate),
        (TrustFiles.CertificateChain, CertificateChain),
        (TrustFiles.FullChain, FullChain),
        ("hrk.cert", RootCertificate),
        ("hsk_cek.cert", Intermediate),
    ]);

    private byte[] DecryptMaster(ReadOnlySpan<byte> msEnc)
    {
        // Only the uncompressed C1 encoding is valid here; BouncyCastle would also take hybrid (0x06/0x07)
        // points and throws FormatException for garbage, neither of which may escape as a crash.
        if (msEnc.IsEmpty || msEnc[0] != 0x04)
            throw new FirmwareException(FirmwareError.BadMasterSecret,
                "CSV LAUNCH_START: ms_enc does not start with an uncompressed SM2 point (0x04)");
        byte[] master;
        try
        {
            master = Sm2Operations.Decrypt(_pdhPrivate, msEnc);
        }
        catch (Exception e) when (e is InvalidCipherTextException or ArgumentException or FormatException)
        {
            throw new FirmwareException(FirmwareError.BadMasterSecret,
                "CSV LAUNCH_START: ms_enc does not decrypt under the PDH key (SM2 C3 check failed or C1 not on the curve)", e);
        }
        if (master.Length != SimCsvSessionLayout.MasterSize)
            throw new FirmwareException(FirmwareError.BadMasterSecret,
                $"CSV LAUNCH_START: master secret is {master.Length} bytes, expected {SimCsvSessionLayout.MasterSize}");
        return master;
    }

    private static byte[] PlatformCert(FirmwareVersion version, uint usage, uint algorithm, AsymmetricCipherKeyPair key,
        string userId, ReadOnlySpan<byte> sid) =>
        SimCsvCertificate.Write(PlatformCertVersion, version.ApiMajor, version.ApiMinor, usage, algorithm, Public(key), userId, sid);

    private static ECPublicKeyParameters Public(AsymmetricCipherKeyPair key) => (ECPublicKeyParameters)key.Public;
    private static ECPrivateKeyParameters Private(AsymmetricCipherKeyPair key) => (ECPrivateKeyParameters)key.Private;

    private sealed class SoftwareCsvLaunch(SoftwareCsvPlatform platform, IRandomSource random, int areaSize,
        byte[] tek, byte[] tik, uint policy)
        : SoftwareLaunch(FirmwareCrypto.Csv, random, areaSize, tek, tik, policy)
    {
        protected override byte[] ComputeMeasure(byte[] tik, byte[] launchDigest, byte[] mnonce) =>
            FirmwareMeasurement.Csv(platform.MeasurementVariant, tik, platform.Version, Policy, launchDigest, mnonce);
    }
}
