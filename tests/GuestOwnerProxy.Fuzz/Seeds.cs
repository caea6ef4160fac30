using System.Buffers.Binary;
using Google.Protobuf;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;
using KB = GuestOwnerProxy.Protocol.KeyBroker;
using Setup = GuestOwnerProxy.Protocol.Setup;

namespace GuestOwnerProxy.Fuzz;

/// <summary>
/// Seed inputs, each prefixed with its harness's selector byte. Without a vectors folder: the seeds this project makes
/// itself (the development simulator's certificates and requests, synthetic OVMF tables, measurements and JSON),
/// committed under fuzz/corpus/. With one: the seeds cut from the published vector files, written at run time
/// into a work folder only (those files are never copied into the repository).
/// </summary>
public static class Seeds
{
    public static void Write(string outDir, string? vectors)
    {
        var seeds = new List<(string Harness, string Name, byte[] Bytes)>();
        void Add(string harness, string name, byte selector, byte[] bytes) => seeds.Add((harness, name, [selector, .. bytes]));

        if (vectors is null)
            Generated(Add);
        else
            FromVectors(vectors, Add);

        foreach (var (harness, name, bytes) in seeds)
        {
            var dir = Path.Combine(outDir, harness);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
        }
        Console.Error.WriteLine($"seeds: {seeds.Count} written under {outDir}");
    }

    private static void Generated(Action<string, string, byte, byte[]> add)
    {
        const int P = PlatformEvidence.CertificateSize;
        foreach (var kind in new[] { PlatformKind.Csv, PlatformKind.Sev })
        {
            var sim = Simulator.For(kind);
            string k = kind == PlatformKind.Csv ? "csv" : "sev";
            byte platformSel = kind == PlatformKind.Csv ? (byte)0 : (byte)2;
            byte caSel = kind == PlatformKind.Csv ? (byte)1 : (byte)3;
            // certs: the four platform certificates, the CA certificates, whole files for CertificateSequence.
            add("certs", $"sim-{k}-pdh", platformSel, sim.PdhCertificate);
            string[] chainNames = ["pek", "oca", "cek"];
            for (int i = 0; i < 3; i++)
                add("certs", $"sim-{k}-{chainNames[i]}", platformSel, sim.CertificateChain[(i * P)..((i + 1) * P)]);
            add("certs", $"sim-{k}-root", caSel, sim.RootCertificate);
            add("certs", $"sim-{k}-intermediate", kind == PlatformKind.Csv ? (byte)4 : caSel, sim.Intermediate);
            add("certs", $"sim-{k}-full-chain", 4, sim.FullChain);
            // chain: exported files and the Setup form (PDH, then PEK ‖ OCA ‖ CEK).
            add("chain", $"sim-{k}-full-chain", 0, sim.FullChain);
            add("chain", $"sim-{k}-pdh-chain", 0, [.. sim.PdhCertificate, .. sim.CertificateChain]);
            add("chain", $"sim-{k}-setup", 1, [.. sim.PdhCertificate, .. sim.CertificateChain]);
        }
        add("certs", "sim-csv-hsk", 1, Simulator.Csv.Intermediate[..832]);

        // ovmf: a footer table of our own making (secret area, hashes area, SEV-ES reset block) and variants.
        add("ovmf", "table-all", 0, OvmfTable(
            (KnownGuids.OvmfSecretArea, Area(0x810000, 0xc00)),
            (KnownGuids.OvmfKernelHashesArea, Area(0x810c00, 0x400)),
            (KnownGuids.OvmfSevEsResetBlock, U32(0xffffff00))));
        add("ovmf", "table-absent-areas", 0, OvmfTable(
            (KnownGuids.OvmfSecretArea, Area(0, 0)), (KnownGuids.OvmfKernelHashesArea, Area(0, 0))));
        add("ovmf", "table-unknown-entry", 0, OvmfTable((Guid.Parse("11111111-2222-3333-4444-555555555555"), [1, 2, 3])));
        add("ovmf", "no-table", 0, new byte[64]);

        // measurement: flags ‖ api ‖ build ‖ policy ‖ blob; a matching blob per formula and some that do not fit.
        var tik = Convert.FromHexString("66320db73158a35a255d051758e95ed4");
        var digest = Convert.FromHexString("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        var mnonce = Convert.FromHexString("4fbe0bedbad6c86ae8f68971d103e554");
        foreach (var (name, flags, major, minor, build, formula, kind) in new[]
        {
            ("sev", (byte)1, (byte)0, (byte)0x12, 15u, MeasurementFormula.Sev, PlatformKind.Sev),
            ("csv-nobuild", (byte)0x0e, (byte)1, (byte)2, 1600u, MeasurementFormula.CsvNoBuild, PlatformKind.Csv),
            ("csv-build8", (byte)0x04, (byte)1, (byte)2, 1600u, MeasurementFormula.CsvBuild8, PlatformKind.Csv),
            ("csv-build32", (byte)0x08, (byte)1, (byte)2, 1600u, MeasurementFormula.CsvBuild32, PlatformKind.Csv),
        })
        {
            var crypto = PlatformRegistry.Default.For(kind).Crypto;
            var parameters = new MeasurementParameters(major, minor, build, 0);
            var measure = LaunchMeasurement.ComputeMeasure(crypto, formula, tik, parameters, digest, mnonce);
            add("measurement", "match-" + name, flags, [major, minor, .. U32(build), .. U32(0), .. measure, .. mnonce]);
        }
        add("measurement", "short-blob", 0x0e, [1, 2, .. U32(1600), .. U32(0), .. new byte[47]]);
        add("measurement", "sev-wide-build", 1, [0, 24, .. U32(300), .. U32(0), .. new byte[48]]);

        // config: the rig's keysets (every field kind), a keyset with images, and keys.json.
        add("config", "keysets-rig", 0, System.Text.Encoding.UTF8.GetBytes(BrokerRig.KeysetsJson(BrokerRig.Instance.Digests)));
        add("config", "keysets-images", 0, """
            {"K": {"allowed_images": [{"name": "a", "ovmf": "OVMF.fd", "kernel": "vmlinuz", "initrd": "initrd", "cmdline": "console=ttyS0", "kernel_hashes": true}],
                   "allowed_digests": [], "allowed_keys": ["k"], "allowed-policies": [0, 1], "min-api-major": 0, "min-api-minor": 0,
                   "allowed-chips": ["00ff"], "secret-guid": "e6f5a162-d67f-4750-a67c-5d065f2a9910"}}
            """u8.ToArray());
        add("config", "keysets-empty", 0, "{}"u8.ToArray());
        add("config", "keys", 1, """{ "key_id1": "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=", "k2": "AAAA" }"""u8.ToArray());
        add("config", "keys-bad", 1, """{ "k": 1, "k": "not base64!" }"""u8.ToArray());

        // setup / keybroker: the simulator's own requests (policy 0), and secret requests that pass when the rig fills in
        // the live session (connection id 0 / LaunchId "") and its measurement (empty field).
        var digests = BrokerRig.Instance.Digests;
        foreach (var kind in new[] { PlatformKind.Csv, PlatformKind.Sev })
        {
            var sim = Simulator.For(kind);
            string k = kind == PlatformKind.Csv ? "csv" : "sev";
            byte secretSel = kind == PlatformKind.Csv ? (byte)1 : (byte)3;
            var version = kind == PlatformKind.Csv ? FirmwareVersion.CsvDefault : FirmwareVersion.SevDefault;
            string keyset = kind == PlatformKind.Csv ? BrokerRig.KeysetCsv : BrokerRig.KeysetSev;

            add("setup", $"bundle-{k}", 0, new Setup.BundleRequest
            {
                PlatformPublicKey = ByteString.CopyFrom(sim.PdhCertificate),
                CertificateChain = ByteString.CopyFrom(sim.CertificateChain),
            }.ToByteArray());
            add("setup", $"bundle-{k}-full", 0, new Setup.BundleRequest { CertificateChain = ByteString.CopyFrom(sim.FullChain) }.ToByteArray());
            add("setup", $"secret-{k}", secretSel, new Setup.SecretRequest
            {
                KeysetId = keyset, ApiMajor = version.ApiMajor, ApiMinor = version.ApiMinor, BuildId = (int)version.BuildId,
            }.ToByteArray());

            add("keybroker", $"bundle-{k}", 0, new KB.BundleRequest { CertificateChain = Convert.ToBase64String(sim.FullChain) }.ToByteArray());
            add("keybroker", $"bundle-{k}-short", 0, new KB.BundleRequest
            {
                CertificateChain = Convert.ToBase64String([.. sim.PdhCertificate, .. sim.CertificateChain]),
            }.ToByteArray());
            var secret = new KB.SecretRequest
            {
                ApiMajor = version.ApiMajor, ApiMinor = version.ApiMinor, BuildId = version.BuildId,
                FwDigest = Convert.ToBase64String(digests[kind]),
            };
            secret.SecretRequests.Add(new KB.RequestDetails { Guid = KnownGuids.KeysetBundle.ToString(), SecretType = "bundle", Id = keyset, Format = "json" });
            secret.SecretRequests.Add(new KB.RequestDetails { Guid = KnownGuids.DiskPassphrase.ToString(), SecretType = "key", Id = BrokerRig.KeyId1, Format = "binary" });
            add("keybroker", $"secret-{k}", secretSel, secret.ToByteArray());
            var single = new KB.SecretRequest { ApiMajor = version.ApiMajor, ApiMinor = version.ApiMinor, BuildId = version.BuildId, LaunchDescription = keyset };
            single.SecretRequests.Add(new KB.RequestDetails { Guid = KnownGuids.DiskPassphrase.ToString(), SecretType = "KEY", Id = BrokerRig.KeyId1, Format = "JSON" });
            add("keybroker", $"secret-{k}-key", secretSel, single.ToByteArray());
        }
    }

    private static void FromVectors(string vectors, Action<string, string, byte, byte[]> add)
    {
        void File(string harness, byte selector, string relative)
        {
            var path = Path.Combine(vectors, relative);
            if (!System.IO.File.Exists(path))
                throw new FileNotFoundException($"vector file {relative} not found under {vectors}");
            add(harness, "vec-" + relative.Replace('/', '-'), selector, System.IO.File.ReadAllBytes(path));
        }

        File("certs", 1, "hygon/hrk.cert");
        File("certs", 1, "hygon/hsk.cert");
        File("certs", 0, "hygon/cek.cert");
        File("certs", 4, "hygon/hsk_cek.cert");
        foreach (var name in new[] { "pdh", "pek", "oca", "cek" })
        {
            File("certs", 2, $"amd/naples/{name}.cert");
            File("certs", 2, $"more/rome/{name}.cert");
        }
        File("certs", 3, "amd/naples/ark.cert.bad");
        foreach (var generation in new[] { "naples", "rome", "milan" })
        {
            File("certs", 3, $"amd/builtin/{generation}/ark.cert");
            File("certs", 3, $"amd/builtin/{generation}/ask.cert");
        }
        File("certs", 4, "amd/naples/cert_chain_full.bin");
        File("chain", 0, "amd/naples/cert_chain_full.bin");
        File("chain", 0, "more/rome/cert_chain_full.bin");
        File("ovmf", 0, "ovmf/ovmf_AmdSev_suffix.bin");
        File("ovmf", 0, "ovmf/ovmf_OvmfX64_suffix.bin");
        File("ovmf", 0, "more/kata/ovmf_suffix.bin");
    }

    /// <summary>An OVMF tail: entries (data ‖ u16 size ‖ GUID, walked backwards), the footer entry, 32 bytes of reset vector.</summary>
    private static byte[] OvmfTable(params (Guid Guid, byte[] Data)[] entries)
    {
        var table = new List<byte>();
        foreach (var (guid, data) in entries)
            table.AddRange([.. data, .. U16(data.Length + 18), .. guid.ToByteArray()]);
        int size = table.Count + 18;
        return [.. new byte[16], .. table, .. U16(size), .. KnownGuids.OvmfTableFooter.ToByteArray(), .. new byte[32]];
    }

    private static byte[] Area(uint @base, uint size) => [.. U32(@base), .. U32(size)];

    private static byte[] U32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return b;
    }

    private static byte[] U16(int value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)value);
        return b;
    }
}
