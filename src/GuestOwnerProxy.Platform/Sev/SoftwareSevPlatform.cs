using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

using GuestOwnerProxy.Platform.Sev;

namespace GuestOwnerProxy.Platform;

/// <summary>
/// A software AMD SEV firmware: ARK → ASK (RSA-PSS, AMD CA format) → CEK → PEK ← OCA, PEK → PDH
/// (P-384, ECDSA-SHA256 / ECDH-SHA256), and LAUNCH_START/MEASURE/SECRET per sev.md. RSA-2048
/// (Naples-shaped) by default for speed; RSA-4096 on request. Deterministic from the seed.
/// </summary>
public sealed class SoftwareSevPlatform : ISoftwarePlatform
{
    private const int KeyIdSize = 16;
    private static readonly ECDomainParameters P384 = CreateP384();

    private readonly ECParameters _pdhPrivate;
    private readonly SoftwarePlatformOptions _options;
    private readonly IRandomSource _runtimeRandom;
    private readonly byte[] _ark, _ask, _cek, _oca, _pek, _pdh;

    private SoftwareSevPlatform(SoftwarePlatformOptions options, FirmwareVersion version, ECParameters pdhPrivate,
        byte[] ark, byte[] ask, byte[] cek, byte[] oca, byte[] pek, byte[] pdh)
    {
        _options = options;
        _runtimeRandom = options.RuntimeRandom ?? SystemRandomSource.Instance;
        _pdhPrivate = pdhPrivate;
        Version = version;
        (_ark, _ask, _cek, _oca, _pek, _pdh) = (ark, ask, cek, oca, pek, pdh);
        RootFingerprint = Convert.ToHexString(SHA256.HashData(ark)).ToLowerInvariant();
    }

    public static byte[] DevelopmentSeed => SoftwarePlatformSeeds.DevelopmentSeed;

    public PlatformKind Kind => PlatformKind.Sev;
    public FirmwareVersion Version { get; }
    public string RootFingerprint { get; }
    public byte[] PdhCertificate => _pdh.ToArray();
    public byte[] CertificateChain => [.. _pek, .. _oca, .. _cek];
    public byte[] FullChain => [.. _pdh, .. _pek, .. _oca, .. _cek, .. _ask, .. _ark];
    public byte[] RootCertificate => _ark.ToArray();
    public byte[] Intermediate => _ask.ToArray();

    public static SoftwareSevPlatform Create(SoftwarePlatformOptions? options = null)
    {
        options ??= new SoftwarePlatformOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SecretAreaSize, 20, nameof(options.SecretAreaSize));
        var version = options.Version ?? FirmwareVersion.SevDefault;
        int rsaBits = options.SevRsa4096 ? 4096 : 2048;
        bool seeded = options.Seed is { Length: > 0 };
        byte[] seed = SoftwarePlatformSeeds.Resolve(options.Seed);
        try
        {
            SecureRandom Stream(string label) => new SimulatorSecureRandom(new DeterministicRandomSource(seed, "sev/" + label));
            byte[] KeyId(string label)
            {
                var id = new byte[KeyIdSize];
                new DeterministicRandomSource(seed, "sev/key-id/" + label).Fill(id);
                return id;
            }

            var arkKey = seeded ? SimRsaKeys.Seeded(seed, "ark", rsaBits) : SimRsaKeys.Fresh(rsaBits);
            var askKey = seeded ? SimRsaKeys.Seeded(seed, "ask", rsaBits) : SimRsaKeys.Fresh(rsaBits);
            var cekKey = GenerateP384(Stream("cek"));
            var ocaKey = GenerateP384(Stream("oca"));
            var pekKey = GenerateP384(Stream("pek"));
            var pdhKey = GenerateP384(Stream("pdh"));
            byte[] arkId = KeyId("ark"), askId = KeyId("ask");

            byte[] ark = SimAmdCaWriter.Write(arkId, arkId, SimSevConstants.UsageArk, (RsaKeyParameters)arkKey.Public);
            SimAmdCaWriter.Sign(ark, (RsaKeyParameters)arkKey.Private, Stream("sign/ark"));
            byte[] ask = SimAmdCaWriter.Write(askId, arkId, SimSevConstants.UsageAsk, (RsaKeyParameters)askKey.Public);
            SimAmdCaWriter.Sign(ask, (RsaKeyParameters)arkKey.Private, Stream("sign/ask"));

            byte[] cek = Platform(version, SimSevConstants.UsageCek, SimSevConstants.AlgorithmEcdsaSha256, cekKey);
            SimSevCertWriter.SignRsa(cek, 0, SimSevConstants.UsageAsk, (RsaKeyParameters)askKey.Private, Stream("sign/cek"));

            byte[] oca = Platform(version, SimSevConstants.UsageOca, SimSevConstants.AlgorithmEcdsaSha256, ocaKey);
            SimSevCertWriter.SignEcdsa(oca, 0, SimSevConstants.UsageOca, Private(ocaKey));

            // AMD PEKs carry the OCA's signature in slot 1 and the CEK's in slot 2 (Hygon's are the other way round).
            byte[] pek = Platform(version, SimSevConstants.UsagePek, SimSevConstants.AlgorithmEcdsaSha256, pekKey);
            SimSevCertWriter.SignEcdsa(pek, 0, SimSevConstants.UsageOca, Private(ocaKey));
            SimSevCertWriter.SignEcdsa(pek, 1, SimSevConstants.UsageCek, Private(cekKey));

            byte[] pdh = Platform(version, SimSevConstants.UsagePdh, SimSevConstants.AlgorithmEcdhSha256, pdhKey);
            SimSevCertWriter.SignEcdsa(pdh, 0, SimSevConstants.UsagePek, Private(pekKey));

            return new SoftwareSevPlatform(options, version, ToDotNet(pdhKey), ark, ask, cek, oca, pek, pdh);
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
        if (sessionBlob.Length != SimSevSessionLayout.Size)
            throw new FirmwareException(FirmwareError.InvalidLength,
                $"SEV LAUNCH_START: session blob must be {SimSevSessionLayout.Size} bytes, got {sessionBlob.Length}");

        byte[] z = SharedSecret(godhCertificate);
        ReadOnlySpan<byte> blob = sessionBlob;
        byte[] master = SevFirmwareKdf.Derive(z, SimSevSessionLayout.KeySize, SimSevSessionLayout.MasterLabel,
            blob.Slice(SimSevSessionLayout.Nonce, SimSevSessionLayout.NonceSize));
        byte[] kek = SevFirmwareKdf.Derive(master, SimSevSessionLayout.KeySize, SimSevSessionLayout.KekLabel, default);
        byte[] kik = SevFirmwareKdf.Derive(master, SimSevSessionLayout.KeySize, SimSevSessionLayout.KikLabel, default);
        byte[] keys = new byte[SimSevSessionLayout.WrapTkSize];
        try
        {
            ReadOnlySpan<byte> wrapTk = blob.Slice(SimSevSessionLayout.WrapTk, SimSevSessionLayout.WrapTkSize);
            // Unlike CSV, AMD's wrap_mac does not cover the IV.
            if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(kik, wrapTk),
                    blob.Slice(SimSevSessionLayout.WrapMac, SimSevSessionLayout.MacSize)))
                throw new FirmwareException(FirmwareError.BadWrapMac,
                    "SEV LAUNCH_START: wrap_mac does not verify (wrong PDH/GODH pair, nonce, or altered wrap_tk)");

            FirmwareCrypto.Aes128Ctr(kek, blob.Slice(SimSevSessionLayout.WrapIv, SimSevSessionLayout.WrapIvSize), wrapTk, keys);
            byte[] tek = keys.AsSpan(0, 16).ToArray();
            byte[] tik = keys.AsSpan(16, 16).ToArray();

            Span<byte> policyBytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(policyBytes, policy);
            if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(tik, policyBytes),
                    blob.Slice(SimSevSessionLayout.PolicyMac, SimSevSessionLayout.MacSize)))
            {
                CryptographicOperations.ZeroMemory(tek);
                CryptographicOperations.ZeroMemory(tik);
                throw new FirmwareException(FirmwareError.BadPolicyMac,
                    $"SEV LAUNCH_START: policy_mac does not verify for policy 0x{policy:x8}");
            }
            PolicyCheck.RequireSupportedApi(policy, Version);
            return new SoftwareSevLaunch(this, _runtimeRandom, _options.SecretAreaSize, tek, tik, policy);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(z);
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
        ("ark.cert", RootCertificate),
        ("ask.cert", Intermediate),
    ]);

    /// <summary>Z = X coordinate of ECDH(PDH private, GODH public), 48 bytes big-endian.</summary>
    private byte[] SharedSecret(byte[] godh)
    {
        if (godh.Length != SimSevCertLayout.Size)
            throw new FirmwareException(FirmwareError.InvalidLength,
                $"SEV LAUNCH_START GODH: must be {SimSevCertLayout.Size} bytes, got {godh.Length}");
        uint curve = BinaryPrimitives.ReadUInt32LittleEndian(godh.AsSpan(SimSevCertLayout.Curve));
        if (curve != SimSevConstants.CurveP384)
            throw new FirmwareException(FirmwareError.InvalidCertificate,
                $"SEV LAUNCH_START GODH: curve id {curve} is not P-384 ({SimSevConstants.CurveP384})");
        if (godh.AsSpan(SimSevCertLayout.X + SimSevConstants.P384Size, SimSevCertLayout.EccFieldSize - SimSevConstants.P384Size).ContainsAnyExcept((byte)0) ||
            godh.AsSpan(SimSevCertLayout.Y + SimSevConstants.P384Size, SimSevCertLayout.EccFieldSize - SimSevConstants.P384Size).ContainsAnyExcept((byte)0))
            throw new FirmwareException(FirmwareError.InvalidCertificate, "SEV LAUNCH_START GODH: coordinate wider than 48 bytes");
        byte[] x = LittleEndianField.Read(godh.AsSpan(SimSevCertLayout.X), SimSevConstants.P384Size);
        byte[] y = LittleEndianField.Read(godh.AsSpan(SimSevCertLayout.Y), SimSevConstants.P384Size);
        try
        {
            P384.Curve.ValidatePoint(new BcBigInteger(1, x), new BcBigInteger(1, y));
            using var own = ECDiffieHellman.Create(_pdhPrivate);
            using var peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP384,
                Q = new ECPoint { X = x, Y = y },
            });
            return own.DeriveRawSecretAgreement(peer.PublicKey);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new FirmwareException(FirmwareError.InvalidCertificate, "SEV LAUNCH_START GODH: public key is not a point on P-384", e);
        }
    }

    private static byte[] Platform(FirmwareVersion version, uint usage, uint algorithm, AsymmetricCipherKeyPair key) =>
        SimSevCertWriter.Write(version.ApiMajor, version.ApiMinor, usage, algorithm, (ECPublicKeyParameters)key.Public);

    private static ECPrivateKeyParameters Private(AsymmetricCipherKeyPair key) => (ECPrivateKeyParameters)key.Private;

    private static AsymmetricCipherKeyPair GenerateP384(SecureRandom random)
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(P384, random));
        return generator.GenerateKeyPair();
    }

    private static ECDomainParameters CreateP384()
    {
        var x9 = NistNamedCurves.GetByName("P-384");
        return new ECDomainParameters(x9.Curve, x9.G, x9.N, x9.H, x9.GetSeed());
    }

    private static ECParameters ToDotNet(AsymmetricCipherKeyPair key)
    {
        var q = ((ECPublicKeyParameters)key.Public).Q.Normalize();
        return new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP384,
            D = ((ECPrivateKeyParameters)key.Private).D.ToByteArrayUnsigned().PadLeft(SimSevConstants.P384Size),
            Q = new ECPoint { X = q.AffineXCoord.GetEncoded(), Y = q.AffineYCoord.GetEncoded() },
        };
    }

    private sealed class SoftwareSevLaunch(SoftwareSevPlatform platform, IRandomSource random, int areaSize,
        byte[] tek, byte[] tik, uint policy)
        : SoftwareLaunch(FirmwareCrypto.Sev, random, areaSize, tek, tik, policy)
    {
        protected override byte[] ComputeMeasure(byte[] tik, byte[] launchDigest, byte[] mnonce) =>
            FirmwareMeasurement.Sev(tik, platform.Version.ApiMajor, platform.Version.ApiMinor,
                (byte)(platform.Version.BuildId & 0xff), Policy, launchDigest, mnonce);
    }
}

internal static class ByteArrayExtensions
{
    public static byte[] PadLeft(this byte[] value, int size)
    {
        if (value.Length >= size)
            return value;
        byte[] padded = new byte[size];
        value.CopyTo(padded, size - value.Length);
        return padded;
    }
}
