using System.Text.Json.Nodes;
using System.CommandLine;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop vmsa build</c>: one vCPU's initial VMSA page as the host hands it to LAUNCH_UPDATE_VMSA (like sevctl vmsa build).</summary>
public sealed class VmsaBuildCommand : CliCommand
{
    public override string Name => "vmsa build";
    public override string Summary => "write the initial VMSA page of one SEV-ES/CSV2 vCPU (4096 bytes)";
    public override string Details =>
        """
        Writes the 4096-byte save area QEMU/KVM give vCPU --cpu N of an SEV-ES (CSV2) guest: vCPU 0 (the BSP)
        starts at the reset vector 0xfffffff0, every other vCPU at the SEV-ES reset block of the OVMF (--ovmf)
        or at --reset-eip. The vCPU signature goes into rdx; --vmsa-layout picks the host kernel's layout
        (legacy: KVM_SEV_ES_INIT; init2: KVM_SEV_INIT2, the default).
        """;

    private readonly Option<string> _cpu = CliOptions.Value("--cpu", "N", "vCPU index: 0 is the BSP, others are APs", required: true);
    private readonly Option<string> _out = CliOptions.Value("--out", "F", "where to write the page", required: true);
    private readonly Option<string> _ovmf = CliOptions.Value("--ovmf", "F", "the firmware whose SEV-ES reset block the APs start at");
    private readonly Option<string> _resetEip = CliOptions.Value("--reset-eip", "HEX", "the AP start address instead of --ovmf (e.g. 0x80b004)");
    private readonly VcpuOptions _vcpu = new();

    public override IEnumerable<Symbol> Symbols => [_cpu, _out, _ovmf, _resetEip, .. _vcpu.Symbols];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        int cpu = CliParse.Int32(Name, _cpu.Name, args.GetValue(_cpu)!);
        if (cpu is < 0 or >= EsVcpuModel.MaxVcpus)
            throw CliParse.Bad(Name, _cpu.Name, $"{cpu} is out of range (0..{EsVcpuModel.MaxVcpus - 1})");
        var model = _vcpu.Read(Name, args);
        string? ovmf = args.GetValue(_ovmf), resetText = args.GetValue(_resetEip);
        if (ovmf is not null && resetText is not null)
            throw new CliUsageException($"gop {Name}: give {_ovmf.Name} or {_resetEip.Name}, not both");
        uint eip = VmsaPage.BspEip;
        if (cpu > 0)
        {
            if (resetText is not null)
                eip = CliParse.UInt32(Name, _resetEip.Name, resetText);
            else if (ovmf is not null)
            {
                CliFiles.RequireRegular(Name, _ovmf.Name, ovmf, FileFormat.BootImage);
                OvmfFooter footer;
                try
                {
                    footer = OvmfFooter.Read(ovmf);
                }
                catch (CryptoFormatException ex)
                {
                    throw CliParse.Bad(Name, _ovmf.Name, ex.Message);
                }
                eip = footer.SevEsResetAddress ?? throw CliParse.Bad(Name, _ovmf.Name, $"{LaunchDigest.NoSevEsResetBlockMessage} ({ovmf})");
            }
            else
                throw new CliUsageException($"gop {Name}: an AP (--cpu {cpu}) starts at the OVMF's SEV-ES reset block: give {_ovmf.Name} F or {_resetEip.Name} HEX");
        }

        var page = VmsaPage.Build(eip, model.Signature, model.Layout);
        string path = args.GetValue(_out)!;
        try
        {
            File.WriteAllBytes(path, page);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw CliParse.Bad(Name, _out.Name, $"cannot write '{path}': {ex.Message}");
        }
        context.Out.WriteLine($"wrote {path}: vCPU {cpu} ({(cpu == 0 ? "BSP" : "AP")}), eip 0x{eip:x}, vcpu-sig {VcpuSignature.Format(model.Signature)}, vmsa-layout {VmsaLayouts.Name(model.Layout)}");
        return Task.FromResult(ExitCodes.Success);
    }
}

/// <summary><c>gop vmsa show FILE</c>: the fields of a VMSA page and whether it is QEMU's initial state.</summary>
public sealed class VmsaShowCommand : CliCommand
{
    private static readonly FileFormat VmsaFile = new("a VMSA page", VmsaPage.Size);

    public override string Name => "vmsa show";
    public override string Summary => "describe a 4096-byte SEV-ES VMSA page (segments, registers, signature, layout)";
    public override string Details =>
        """
        Prints the segment registers and the registers QEMU's initial state sets, the start address
        (cs.base + rip), the vCPU signature (rdx) and the layout (legacy or init2, from mxcsr/x87 fcw).
        Exit 0 when the page is exactly an initial VMSA; 1 when other bytes are set (their offsets are listed).
        """;

    private readonly Argument<string> _file = new("FILE") { Description = "the VMSA page (4096 bytes)" };
    private readonly Option<bool> _json = CliOptions.Flag("--json", "machine-readable output");

    public override IEnumerable<Symbol> Symbols => [_file, _json];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        string path = args.GetValue(_file)!;
        var bytes = CliFiles.Read(Name, "FILE", path, VmsaFile);
        if (bytes.Length != VmsaPage.Size)
            throw CliParse.Bad(Name, "FILE", $"'{path}' has {bytes.Length} bytes, a VMSA page is {VmsaPage.Size}");
        var f = VmsaPage.Describe(bytes);
        string layout = f.Layout is { } l ? VmsaLayouts.Name(l) : "unknown (mxcsr/fcw match neither layout)";
        if (args.GetValue(_json))
        {
            CliJson.Write(context.Out, new JsonObject
            {
                ["file"] = path,
                ["initialState"] = f.IsInitialState,
                ["layout"] = f.Layout is { } k ? VmsaLayouts.Name(k) : null,
                ["eip"] = $"0x{f.Eip:x}",
                ["vcpuSig"] = VcpuSignature.Format(f.VcpuSignature),
                ["segments"] = CliJson.Object(f.Segments, s => s.Name, s => new JsonObject
                {
                    ["selector"] = $"0x{s.Segment.Selector:x}", ["attrib"] = $"0x{s.Segment.Attrib:x}", ["limit"] = $"0x{s.Segment.Limit:x}", ["base"] = $"0x{s.Segment.Base:x}",
                }),
                ["registers"] = CliJson.Object(f.Registers, r => r.Name, r => $"0x{r.Value:x}"),
                ["unexpectedOffsets"] = CliJson.Strings(f.UnexpectedNonZeroOffsets.Select(o => $"0x{o:x}")),
            });
        }
        else
        {
            context.Out.WriteLine($"{path}: VMSA page, {(f.IsInitialState ? "initial vCPU state" : "NOT an initial vCPU state")}");
            context.Out.WriteLine($"  start:     eip 0x{f.Eip:x} ({(f.Eip == VmsaPage.BspEip ? "BSP reset vector" : "AP")})");
            context.Out.WriteLine($"  vcpu-sig:  {VcpuSignature.Format(f.VcpuSignature)}");
            context.Out.WriteLine($"  layout:    {layout}");
            foreach (var (name, s) in f.Segments)
                context.Out.WriteLine($"  {name,-6}     selector 0x{s.Selector:x4} attrib 0x{s.Attrib:x3} limit 0x{s.Limit:x} base 0x{s.Base:x}");
            foreach (var (name, value) in f.Registers)
                context.Out.WriteLine($"  {name,-12} 0x{value:x}");
            if (f.UnexpectedNonZeroOffsets.Count > 0)
                context.Out.WriteLine($"  differs from the initial state at offset(s) {string.Join(", ", f.UnexpectedNonZeroOffsets.Take(16).Select(o => $"0x{o:x}"))}{(f.UnexpectedNonZeroOffsets.Count > 16 ? ", ..." : "")}");
        }
        return Task.FromResult(f.IsInitialState ? ExitCodes.Success : ExitCodes.VerificationFailed);
    }
}
