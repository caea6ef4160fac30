using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Fuzz;

/// <summary>
/// One entry point per parser of untrusted bytes. Each takes the raw input; where one harness covers several
/// parsers, its first byte chooses (<see cref="Select"/>), so one seed folder and one 10-minute run cover the
/// family. An exception a parser is documented to throw for bad input is caught here; anything else escapes
/// and is a crash, as is a <see cref="FuzzFinding"/> from an oracle.
/// </summary>
public static class Harnesses
{
    private static readonly Dictionary<string, Action<byte[]>> Targets = new(StringComparer.Ordinal)
    {
        // byte 0 % 5: CsvCertificate, CsvCaCertificate, SevCertificate, AmdCaCertificate, CertificateSequence.Split
        ["certs"] = Certificates,
        // byte 0 bit 0: 0 = one exported file through SplitExport, 1 = PDH (first 2084 bytes) + chain (rest), as Setup sends them
        ["chain"] = Chain,
        ["ovmf"] = Ovmf,
        ["measurement"] = Measurement,
        // byte 0 bit 0: 0 = keysets.json, 1 = keys.json (the rest as UTF-8 text)
        ["config"] = Config,
        // byte 0: bit 0 = 0 BundleRequest / 1 SecretRequest, bit 1 = platform of the live session (CSV/SEV); rest = protobuf
        ["setup"] = data => BrokerRig.Instance.Setup(data),
        ["keybroker"] = data => BrokerRig.Instance.KeyBroker(data),
    };

    public static IReadOnlyCollection<string> Names => Targets.Keys;

    /// <summary>Not a parser: crashes on inputs starting "CRA", so that `GOP_FUZZ_SELFTEST=1 fuzz/run.sh selftest 60`
    /// shows the whole path (afl-fuzz finds it from the seed "CRB", run.sh reports it and exits 1). Not in <see cref="Names"/>.</summary>
    public const string SelfTest = "selftest";

    public static Action<byte[]> Get(string name) =>
        name == SelfTest ? SelfTestTarget
        : Targets.TryGetValue(name, out var target) ? target : throw new ArgumentException($"unknown harness '{name}'");

    private static void SelfTestTarget(byte[] data)
    {
        Ovmf(data);   // instrumented code, or afl-fuzz refuses the target
        if (data is [(byte)'C', (byte)'R', (byte)'A', ..])
            throw new FuzzFinding("selftest: the planted crash");
    }

    /// <summary>Builds what a harness needs before the first input (slow key generation happens here, once).</summary>
    public static void Prepare(string name)
    {
        switch (name)
        {
            case "chain":
                _ = Simulator.Trust;
                break;
            case "setup" or "keybroker":
                _ = BrokerRig.Instance;
                break;
        }
    }

    /// <summary>The selector byte and the input after it (an empty input selects 0 with no payload).</summary>
    public static (byte Selector, byte[] Payload) Select(byte[] data) =>
        data.Length == 0 ? ((byte)0, []) : (data[0], data[1..]);

    private static void Certificates(byte[] data)
    {
        var (selector, payload) = Select(data);
        try
        {
            switch (selector % 5)
            {
                case 0:
                {
                    var cert = CsvCertificate.Parse(payload, "fuzz");
                    RequireSameBytes(cert.ToArray(), payload, "CsvCertificate");
                    _ = cert.ToString();
                    _ = cert.Signatures.Count;
                    _ = cert.IsSignedBy(cert);
                    break;
                }
                case 1:
                {
                    var ca = CsvCaCertificate.Parse(payload, "fuzz");
                    RequireSameBytes(ca.ToArray(), payload, "CsvCaCertificate");
                    _ = ca.ToString();
                    _ = ca.Fingerprint;
                    _ = ca.IsSelfSigned;
                    break;
                }
                case 2:
                {
                    var cert = SevCertificate.Parse(payload, "fuzz");
                    RequireSameBytes(cert.ToArray(), payload, "SevCertificate");
                    _ = cert.ToString();
                    foreach (var signature in cert.Signatures)
                        _ = signature.IsEmpty;
                    _ = SevSignatureVerifier.IsSignedBy(cert, cert);
                    break;
                }
                case 3:
                {
                    var ca = AmdCaCertificate.Parse(payload, "fuzz");
                    _ = ca.ToString();
                    _ = ca.Fingerprint;
                    _ = ca.GetRsaParameters();
                    _ = ca.IsSignedBy(ca);
                    break;
                }
                default:
                {
                    var entries = CertificateSequence.Split(payload);
                    int offset = 0;
                    foreach (var entry in entries)
                    {
                        if (entry.Offset != offset)
                            throw new FuzzFinding($"CertificateSequence: entry {entry.Index} at offset {entry.Offset}, expected {offset}");
                        offset += entry.Bytes.Length;
                        _ = entry.Fingerprint;
                        _ = entry.Platform;
                    }
                    if (offset != payload.Length)
                        throw new FuzzFinding($"CertificateSequence: entries cover {offset} of {payload.Length} bytes");
                    break;
                }
            }
        }
        catch (CryptoFormatException)
        {
            // InvalidCertificateException and the other format refusals: the documented answer to bad bytes.
        }
    }

    private static void RequireSameBytes(byte[] parsed, byte[] input, string what)
    {
        if (!parsed.AsSpan().SequenceEqual(input))
            throw new FuzzFinding($"{what}: ToArray() differs from the bytes it was parsed from");
    }

    private static void Chain(byte[] data)
    {
        var (selector, payload) = Select(data);
        var registry = PlatformRegistry.Default;
        try
        {
            PlatformEvidence evidence;
            if ((selector & 1) == 0)
            {
                evidence = registry.SplitExport(payload).Evidence;
            }
            else
            {
                int split = Math.Min(payload.Length, PlatformEvidence.CertificateSize);
                evidence = new PlatformEvidence(payload[..split], payload[split..]);
            }
            var profile = registry.Recognize(evidence);
            var result = profile.VerifyChain(evidence, Simulator.Trust);
            if (result.Platform != profile.Kind)
                throw new FuzzFinding($"VerifyChain on {profile.Kind} answered platform {result.Platform}");
            _ = profile.SelectPdh(evidence);
        }
        catch (CryptoFormatException)
        {
            // InvalidCertificateException, PlatformNotRecognizedException and other format refusals.
        }
        catch (ChainVerificationException)
        {
        }
    }

    private static void Ovmf(byte[] data)
    {
        try
        {
            var footer = OvmfFooter.Parse(data);
            _ = footer.ToString();
        }
        catch (CryptoFormatException)
        {
        }
    }

    private static readonly byte[] Tik = Convert.FromHexString("66320db73158a35a255d051758e95ed4");
    private static readonly DigestCandidate[] Candidates =
    [
        new("zero", new byte[32]),
        new("sha256-empty", Convert.FromHexString("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")),
    ];

    /// <summary>
    /// Layout: flags(1) ‖ api major(1) ‖ api minor(1) ‖ build id (u32 LE) ‖ policy (u32 LE) ‖ measurement blob (any length).
    /// Flags: bit 0 = SEV (else CSV); bits 1..3 = which CSV formulas; bit 4/5 = API major/minor + 256 (out of range);
    /// bit 6 = build id negative.
    /// </summary>
    private static void Measurement(byte[] data)
    {
        Span<byte> header = stackalloc byte[11];
        data.AsSpan(0, Math.Min(11, data.Length)).CopyTo(header);
        byte[] blob = data.Length > 11 ? data[11..] : [];
        byte flags = header[0];
        var kind = (flags & 1) != 0 ? PlatformKind.Sev : PlatformKind.Csv;
        var crypto = PlatformRegistry.Default.For(kind).Crypto;
        var formulas = new List<MeasurementFormula>();
        if (kind == PlatformKind.Sev)
            formulas.Add(MeasurementFormula.Sev);
        else
        {
            if ((flags & 2) != 0) formulas.Add(MeasurementFormula.CsvNoBuild);
            if ((flags & 4) != 0) formulas.Add(MeasurementFormula.CsvBuild8);
            if ((flags & 8) != 0) formulas.Add(MeasurementFormula.CsvBuild32);
        }
        long build = BinaryPrimitives.ReadUInt32LittleEndian(header[3..]);
        if ((flags & 0x40) != 0)
            build = -build;
        var parameters = new MeasurementParameters(
            header[1] + ((flags & 0x10) != 0 ? 256 : 0),
            header[2] + ((flags & 0x20) != 0 ? 256 : 0),
            build,
            BinaryPrimitives.ReadUInt32LittleEndian(header[7..]));
        try
        {
            var parsed = LaunchMeasurement.Parse(blob);
            if (parsed.Measure.Length != LaunchMeasurement.MeasureSize || parsed.Mnonce.Length != LaunchMeasurement.MnonceSize)
                throw new FuzzFinding("LaunchMeasurement.Parse: wrong part sizes");
        }
        catch (CryptoFormatException)
        {
        }

        MeasurementMatch? match;
        try
        {
            match = MeasurementVerifier.Verify(crypto, Tik, blob, parameters, Candidates, formulas);
        }
        catch (CryptoFormatException)
        {
            return;
        }
        if (match is not null)
        {
            var again = LaunchMeasurement.ComputeMeasure(crypto, match.Formula, Tik, parameters, match.Digest, blob.AsSpan(32, 16));
            if (!again.AsSpan().SequenceEqual(blob.AsSpan(0, 32)))
                throw new FuzzFinding("MeasurementVerifier matched a measure that ComputeMeasure does not reproduce");
        }
        // The converse: a measure the firmware would compute for these parameters must be accepted.
        byte[] mnonce = blob.Length >= 48 ? blob[32..48] : new byte[16];
        foreach (var formula in formulas)
        {
            byte[] expected;
            try
            {
                expected = LaunchMeasurement.ComputeMeasure(crypto, formula, Tik, parameters, Candidates[1].Digest, mnonce);
            }
            catch (CryptoFormatException)
            {
                continue;   // these parameters do not fit this formula
            }
            var good = MeasurementVerifier.Verify(crypto, Tik, [.. expected, .. mnonce], parameters, Candidates, formulas);
            if (good is null)
                throw new FuzzFinding($"MeasurementVerifier refused the measure {formula} computes for the same parameters");
        }
    }

    private static void Config(byte[] data)
    {
        var (selector, payload) = Select(data);
        string text = Encoding.UTF8.GetString(payload);
        var errors = new List<ConfigurationError>();
        if ((selector & 1) == 0)
        {
            var warnings = new List<string>();
            var keysets = KeysetFileParser.Parse("keysets.json", text, errors, warnings);
            foreach (var keyset in keysets)
                _ = keyset.ToString();
        }
        else
        {
            var keys = KeysFileParser.Parse("keys.json", text, errors);
            _ = keys.Count;
        }
        foreach (var error in errors)
            _ = error.ToString();
    }
}
