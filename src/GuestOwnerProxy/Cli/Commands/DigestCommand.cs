using System.Text.Json.Nodes;
using System.CommandLine;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop digest</c>: the launch digest the firmware will reach for an image (hex, or base64 as Hygon's tools print it).</summary>
public sealed class DigestCommand : CliCommand
{
    // Kernel hashes table: header GUID(16) ‖ u16 length, then three entries
    // GUID(16) ‖ u16 length ‖ SHA-256(32) for cmdline, initrd and kernel.
    private const int TableEntriesOffset = 18;
    private const int TableEntrySize = 50;
    private const int EntryHashOffset = 18;
    private const int EntryHashSize = 32;

    public override string Name => "digest";
    public override string Summary => "launch digest of an OVMF image (and kernel/initrd/cmdline when measured)";
    public override string Details =>
        """
        Prints the launch digest LD = H(OVMF ‖ padded kernel hashes table), H = SM3 (csv) or SHA-256 (sev),
        as lowercase hex (or base64 with --base64). --json adds the kernel hashes table entries and the
        OVMF footer facts (kernel hashes area, secret area, SEV-ES reset address).
        With --es the digest of an SEV-ES (CSV2) launch: LD = H(OVMF ‖ table ‖ VMSA(BSP) ‖ VMSA(AP) × (N − 1)),
        one per vCPU count of --vcpus (one count: the digest alone; several: "N digest" per line), for the vCPU
        signature (--vcpu-type, --vcpu-sig or --vcpu-family/--vcpu-model/--vcpu-stepping) and the host kernel's
        --vmsa-layout (default init2). An OVMF without the SEV-ES reset block is refused. The CSV2 digest (SM3)
        is unconfirmed: no public CSV2 launch has been checked against it.
        """;

    private readonly Option<string> _platform = CliOptions.Platform("which firmware hash to use");
    private readonly ImageOptions _image = new();
    private readonly EsOptions _es = new();
    private readonly Option<bool> _base64 = CliOptions.Flag("--base64", "print the digest as base64 (allowed_digests accepts both)");
    private readonly Option<bool> _json = CliOptions.Flag("--json", "machine-readable output");

    public override IEnumerable<Symbol> Symbols => [_platform, .. _image.Symbols, .. _es.Symbols, _base64, _json];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        var platform = CliParse.Platform(Name, args.GetValue(_platform)!);
        var image = _image.Read(Name, args);
        if (_es.Read(Name, args) is { } es)
            return Task.FromResult(RunEs(args, context, platform, image, es));
        var result = ImageOptions.Compute(Name, context.Platforms.For(platform).Crypto, image);
        string digest = args.GetValue(_base64) ? Convert.ToBase64String(result.Digest) : Hex(result.Digest);

        if (!args.GetValue(_json))
        {
            context.Out.WriteLine(digest);
            return Task.FromResult(ExitCodes.Success);
        }

        var crypto = context.Platforms.For(platform).Crypto;
        CliJson.Write(context.Out, new JsonObject
        {
            ["platform"] = PlatformNames.Of(platform),
            ["algorithm"] = crypto.DigestName,
            ["digest"] = Hex(result.Digest),
            ["digestBase64"] = Convert.ToBase64String(result.Digest),
            ["ovmf"] = image.OvmfPath,
            ["kernelHashes"] = result.HashTable is not null,
            ["hashTable"] = result.HashTable is { } table ? new JsonObject
            {
                ["cmdline"] = EntryHash(table, 0),
                ["initrd"] = EntryHash(table, 1),
                ["kernel"] = EntryHash(table, 2),
                ["paddedTable"] = Hex(table),
            } : null,
            ["footer"] = new JsonObject
            {
                ["guidTable"] = result.Footer.HasGuidTable,
                ["kernelHashesArea"] = Area(result.Footer.KernelHashesArea),
                ["secretArea"] = Area(result.Footer.SecretArea),
                ["sevEsResetAddress"] = result.Footer.SevEsResetAddress is { } reset ? $"0x{reset:x}" : null,
            },
        });
        return Task.FromResult(ExitCodes.Success);
    }

    private int RunEs(ParseResult args, CliContext context, PlatformKind platform, LaunchImage image, EsChoice es)
    {
        var crypto = context.Platforms.For(platform).Crypto;
        var result = EsOptions.Compute(Name, crypto, image, es);
        string Render(byte[] d) => args.GetValue(_base64) ? Convert.ToBase64String(d) : Hex(d);
        if (args.GetValue(_json))
        {
            CliJson.Write(context.Out, new JsonObject
            {
                ["platform"] = PlatformNames.Of(platform),
                ["algorithm"] = crypto.DigestName,
                ["es"] = new JsonObject
                {
                    ["scheme"] = EsDigestSchemes.Name(result.Scheme),
                    ["confirmed"] = EsDigestSchemes.IsConfirmed(result.Scheme),
                    ["vcpuSig"] = VcpuSignature.Format(es.Vcpu.Signature),
                    ["vmsaLayout"] = VmsaLayouts.Name(es.Vcpu.Layout),
                    ["apResetEip"] = $"0x{result.ApResetEip:x}",
                },
                ["ovmf"] = image.OvmfPath,
                ["kernelHashes"] = result.HashTable is not null,
                ["digests"] = CliJson.Array(result.Digests, d => new JsonObject
                {
                    ["vcpus"] = d.Vcpus, ["digest"] = Hex(d.Digest), ["digestBase64"] = Convert.ToBase64String(d.Digest),
                }),
            });
            return ExitCodes.Success;
        }
        if (!EsDigestSchemes.IsConfirmed(result.Scheme))
            context.Err.WriteLine($"warning: the {EsDigestSchemes.Name(result.Scheme)} digest is unconfirmed (no public CSV2 launch to check it against)");
        if (result.Digests.Count == 1)
            context.Out.WriteLine(Render(result.Digests[0].Digest));
        else
            foreach (var d in result.Digests)
                context.Out.WriteLine($"{d.Vcpus} {Render(d.Digest)}");
        return ExitCodes.Success;
    }

    private static string EntryHash(byte[] table, int index) =>
        Hex(table.AsSpan(TableEntriesOffset + index * TableEntrySize + EntryHashOffset, EntryHashSize));

    private static JsonObject? Area(OvmfArea? area) =>
        area is { } a ? new JsonObject { ["base"] = $"0x{a.Base:x}", ["size"] = a.Size } : null;
}
