using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Grpc.Core;
using GuestOwnerProxy.Cli.Client;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary>
/// <c>gop simulate</c>: one whole kata launch against a running server, with the software firmware
/// standing in for the PSP/CSV: bundle over real gRPC → LAUNCH_START → LAUNCH_UPDATE_DATA (OVMF, then
/// the padded kernel hashes table) → LAUNCH_MEASURE → GetLaunchSecret → LAUNCH_SECRET → what the
/// guest's efi_secret sees. Exit 0 only when the guest ends up with keys.
/// </summary>
public sealed class SimulateCommand : CliCommand
{
    private const int UpdateChunkSize = 1 << 16;

    public override string Name => "simulate";
    public override string Summary => "play a whole launch with the software CSV/SEV firmware against a running server";
    public override string Details =>
        """
        Runs the launch a kata host would, with the simulated firmware from GuestOwnerProxy.Platform, and
        prints each step: bundle (GetLaunchBundle), LAUNCH_START (the firmware checks the GODH, session blob
        and policy MAC), LAUNCH_UPDATE_DATA with the OVMF file and, when measured, the padded kernel hashes
        table, LAUNCH_MEASURE, GetLaunchSecret, LAUNCH_SECRET (MAC check and decryption by the firmware),
        and the secret table entries the guest sees: GUIDs and, for the keyset bundle, the key ids (never
        the key values). Without --ovmf no data is measured (launch digest of empty input).
        --es --vcpus N plays an SEV-ES (CSV2) launch: policy 0x4 unless --policy says otherwise (it must have the
        ES bit), and after the data one LAUNCH_UPDATE_VMSA per vCPU with the page the simulated host builds
        itself (vCPU type EPYC-v4 and layout init2 unless the vCPU options say otherwise); needs --ovmf.
        Exit 0 when the guest received at least one key; 1 when the server or the firmware refused
        (GRPC Error / firmware error printed); 2 for bad arguments or files.
        """;

    private readonly Option<string> _server = CliOptions.Value("--server", "HOST:PORT", "the running server (h2c)", required: true);
    private readonly Option<string> _platform = CliOptions.Platform("which firmware to simulate");
    private readonly Option<string> _keyset = CliOptions.Value("--keyset", "ID", $"keyset to ask for (default {ClientCommand.DefaultKeysetId})");
    private readonly Option<string> _policy = CliOptions.Value("--policy", "N", "guest policy (default 0)");
    private readonly Option<string> _seed = CliOptions.Value("--seed", "development|random",
        "development: the fixed development seed, whose roots the Development server configuration trusts (default); random: fresh keys the server will not trust");
    private readonly Option<string> _csvVariant = CliOptions.Value("--csv-variant", "no-build|build8|build32", "measurement formula of the simulated CSV firmware (default build32, the one that covers the build id)");
    private readonly Option<string> _protocol = ClientProtocols.Option(
        "setup (default: /Setup, PDH and cert_chain sent separately) or keybroker (simple-kbs keybroker.KeyBrokerService as kata calls it: "
        + "the full chain export as one base64 file, a UUID launch id, the firmware's launch digest as FwDigest and the keyset bundle "
        + "requested as Format JSON / SecretType bundle)");
    private readonly Option<string> _secretGuid = CliOptions.Value("--secret-guid", "GUID",
        "where the keyset's keys are expected: the keyset's secret-guid in keysets.json (default the well-known bundle GUID e6f5a162-...; "
        + "the server does not say). With --protocol keybroker the bundle is requested at this GUID. Keys are counted in every entry "
        + "whose payload is the key JSON object, wherever it is");
    private readonly ImageOptions _image = new();
    private readonly EsOptions _es = new();

    /// <summary>kata's default vCPU model for SEV-ES guests.</summary>
    private const string DefaultVcpuType = "EPYC-v4";

    public override IEnumerable<Symbol> Symbols => [_server, _platform, _keyset, _policy, .. _image.Symbols, .. _es.Symbols, _seed, _csvVariant, _protocol, _secretGuid];

    public override async Task<int> RunAsync(ParseResult args, CliContext context)
    {
        string server = args.GetValue(_server)!;
        var kind = CliParse.Platform(Name, args.GetValue(_platform)!);
        string keyset = args.GetValue(_keyset) ?? ClientCommand.DefaultKeysetId;
        var es = _es.Read(Name, args, DefaultVcpuType, single: true);
        uint policy = args.GetValue(_policy) is { } p ? CliParse.UInt32(Name, "--policy", p) : es is null ? 0u : GuestPolicyBits.Es;
        EsOptions.RequireMatchingPolicy(Name, "--policy", policy, es);
        byte[]? seed = (args.GetValue(_seed) ?? "development").ToLowerInvariant() switch
        {
            "development" => SoftwarePlatformSeeds.DevelopmentSeed,
            "random" => null,
            var other => throw CliParse.Bad(Name, "--seed", $"'{other}' is not a seed (development or random)"),
        };
        var variant = (args.GetValue(_csvVariant) ?? "build32").ToLowerInvariant() switch
        {
            "no-build" or "csv-no-build" => CsvMeasurementVariant.NoBuild,
            "build8" or "csv-build8" => CsvMeasurementVariant.Build8,
            "build32" or "csv-build32" => CsvMeasurementVariant.Build32,
            var other => throw CliParse.Bad(Name, "--csv-variant", $"'{other}' is not a variant (no-build, build8, build32)"),
        };
        var secretGuid = args.GetValue(_secretGuid) is { } g ? CliParse.Guid(Name, "--secret-guid", g) : KnownGuids.KeysetBundle;
        LaunchImage? image = _image.Given(args) ? _image.Read(Name, args) : null;
        if (es is not null && image is null)
            throw CliParse.Bad(Name, _es.Es.Name, "needs --ovmf: the APs start at the firmware's SEV-ES reset block");
        LaunchDigestResult? expected = image is null ? null : ImageOptions.Compute(Name, context.Platforms.For(kind).Crypto, image);
        byte[]? expectedDigest = expected?.Digest;
        if (es is not null)
            expectedDigest = EsOptions.Compute(Name, context.Platforms.For(kind).Crypto, image!, es).For(es.Vcpus[0]);
        var output = context.Out;

        var platform = SoftwarePlatform.Create(kind, new SoftwarePlatformOptions { Seed = seed, CsvVariant = variant });
        output.WriteLine($"platform:  simulated {PlatformNames.Of(kind)} firmware {platform.Version}, root {platform.RootFingerprint}{(seed is null ? " (random seed)" : " (development seed)")}");

        try
        {
            string protocol = args.GetValue(_protocol) ?? ClientProtocols.Setup;
            bool keyBroker = protocol == ClientProtocols.KeyBroker;
            using var client = ClientProtocols.Create(Name, protocol, server);

            // kata's keybroker generation sends the whole `sevctl export --full` file (CSV: ... ‖ HSK ‖ HRK).
            var bundleQuery = keyBroker
                ? new BundleQuery([], platform.FullChain, unchecked((int)policy))
                : new BundleQuery(platform.PdhCertificate, platform.CertificateChain, unchecked((int)policy));
            var bundle = await client.GetBundleAsync(bundleQuery, CancellationToken.None);
            bool base64Bundle = ClientCommand.IsBase64Text(bundle.GuestOwnerPublicKey);
            byte[] godh = Decode(bundle.GuestOwnerPublicKey);
            byte[] blob = Decode(bundle.LaunchBlob);
            output.WriteLine($"bundle:    {(keyBroker ? "launch id" : "connection")} {bundle.ConnectionId}, GODH {godh.Length} bytes, session blob {blob.Length} bytes ({(base64Bundle ? "base64 text" : "raw")} encoding)");

            using var launch = platform.LaunchStart(godh, blob, policy);
            output.WriteLine($"start:     LAUNCH_START accepted (policy 0x{policy:x8})");

            if (image is not null)
            {
                long bytes = Update(launch, image.OvmfPath);
                output.WriteLine($"update:    OVMF {image.OvmfPath} ({bytes} bytes)");
                if (expected!.HashTable is { } table)
                {
                    launch.UpdateData(table);
                    output.WriteLine($"update:    kernel hashes table ({table.Length} bytes, padded)");
                }
                if (es is not null)
                    UpdateVmsas(launch, image.OvmfPath, es, output);
            }
            else
            {
                output.WriteLine("update:    no image given, nothing measured");
            }

            byte[] measurement = launch.Measure();
            output.WriteLine($"measure:   launch digest {Hex(launch.LaunchDigest)}");
            if (expectedDigest is not null && !CryptographicOperations.FixedTimeEquals(expectedDigest, launch.LaunchDigest))
                throw new CliVerificationException($"the firmware's launch digest differs from the computed one {Hex(expectedDigest)}");
            output.WriteLine($"measure:   {Convert.ToBase64String(measurement)}");

            var version = platform.Version;
            var secret = await client.GetSecretAsync(new SecretQuery(
                measurement, bundle.ConnectionId, version.ApiMajor, version.ApiMinor, unchecked((int)version.BuildId),
                unchecked((int)policy), keyset, keyBroker ? launch.LaunchDigest : null, keyBroker ? secretGuid : null), CancellationToken.None);
            output.WriteLine($"secret:    keyset {keyset}: header {secret.Header.Length} bytes, data {secret.Data.Length} bytes");

            var entries = launch.InjectSecret(secret.Header, secret.Data);
            output.WriteLine($"inject:    LAUNCH_SECRET accepted, {entries.Count} entr{(entries.Count == 1 ? "y" : "ies")} in the guest's secret area");
            int keys = 0;
            foreach (var entry in entries)
            {
                string detail = $"{entry.Data.Length} bytes";
                var ids = KeyIds(entry.Data);
                if (ids is not null)
                {
                    keys += ids.Count;
                    string what = entry.Guid == secretGuid ? "keyset bundle" : "key JSON, not at --secret-guid";
                    detail = $"{what}, key ids: {(ids.Count == 0 ? "none" : string.Join(", ", ids))}";
                }
                else if (entry.Guid == secretGuid)
                {
                    detail = $"{entry.Data.Length} bytes, not the key JSON the keyset bundle should be";
                }
                output.WriteLine($"guest:     {entry.Guid} ({detail})");
                CryptographicOperations.ZeroMemory(entry.Data);
            }
            if (keys == 0)
                throw new CliVerificationException("the guest received no keys");
            output.WriteLine($"result:    guest has {keys} key{(keys == 1 ? "" : "s")}");
            return ExitCodes.Success;
        }
        catch (RpcException ex)
        {
            context.Err.WriteLine($"GRPC Error: {ex.Status.Detail}");
            return ExitCodes.VerificationFailed;
        }
        catch (FirmwareException ex)
        {
            context.Err.WriteLine($"error: gop {Name}: firmware refused ({ex.Error}): {ex.Message}");
            return ExitCodes.VerificationFailed;
        }
    }

    /// <summary>
    /// The host's part of an ES launch, played by the simulator's own QEMU model (not the guest-owner code): the AP
    /// start address from the firmware, then one save area per vCPU.
    /// </summary>
    private static void UpdateVmsas(ISoftwareLaunch launch, string ovmfPath, EsChoice es, TextWriter output)
    {
        uint apStart = SimulatedVcpuState.ApStartFromFirmware(File.ReadAllBytes(ovmfPath))
            ?? throw new CliVerificationException("the simulated host finds no SEV-ES reset block in the OVMF");
        var layout = es.Vcpu.Layout == VmsaLayout.Legacy ? SimulatedVmsaLayout.EsInit : SimulatedVmsaLayout.Init2;
        int vcpus = es.Vcpus[0];
        for (int cpu = 0; cpu < vcpus; cpu++)
            launch.UpdateVmsa(SimulatedVcpuState.SaveArea(cpu, apStart, es.Vcpu.Signature, layout));
        output.WriteLine($"update:    {vcpus} VMSA page{(vcpus == 1 ? "" : "s")} (LAUNCH_UPDATE_VMSA; AP start 0x{apStart:x}, {es.Vcpu})");
    }

    private static byte[] Decode(byte[] field) =>
        ClientCommand.IsBase64Text(field) ? Convert.FromBase64String(System.Text.Encoding.ASCII.GetString(field)) : field;

    private static long Update(ISoftwareLaunch launch, string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, UpdateChunkSize);
        var buffer = new byte[UpdateChunkSize];
        long total = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            launch.UpdateData(buffer.AsSpan(0, read));
            total += read;
        }
        return total;
    }

    /// <summary>
    /// The key ids of the offline KBC's JSON bundle {"id": "base64", ...} (values are not kept); null when the
    /// payload is not such an object (binary key entries of keybroker requests, other secrets).
    /// </summary>
    private static List<string>? KeyIds(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
                return null;
            return root.EnumerateObject().Select(p => p.Name).ToList();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
