using System.CommandLine;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Cli;

/// <summary>What <see cref="EsOptions"/> read: the vCPU counts and the vCPU model of an SEV-ES/CSV2 launch.</summary>
public sealed record EsChoice(IReadOnlyList<int> Vcpus, EsVcpuModel Vcpu);

/// <summary>
/// The vCPU signature options, shared by the ES image options and <c>gop vmsa build</c>:
/// <c>--vcpu-type NAME | --vcpu-sig HEX | --vcpu-family F --vcpu-model M --vcpu-stepping S</c>, and the VMSA layout.
/// </summary>
public sealed class VcpuOptions
{
    public Option<string> Type { get; } = CliOptions.Value("--vcpu-type", "NAME",
        $"QEMU CPU model the guest runs as ({string.Join(", ", VcpuSignature.KnownModels)})");
    public Option<string> Sig { get; } = CliOptions.Value("--vcpu-sig", "HEX", "the vCPU signature (CPUID 1 EAX) itself, e.g. 0x800f12");
    public Option<string> Family { get; } = CliOptions.Value("--vcpu-family", "F", "vCPU family (with --vcpu-model and --vcpu-stepping)");
    public Option<string> Model { get; } = CliOptions.Value("--vcpu-model", "M", "vCPU model");
    public Option<string> Stepping { get; } = CliOptions.Value("--vcpu-stepping", "S", "vCPU stepping");
    public Option<string> Layout { get; } = CliOptions.Value("--vmsa-layout", "legacy|init2",
        "the host kernel's initial VMSA: legacy (KVM_SEV_ES_INIT, kernels before 6.10) or init2 (KVM_SEV_INIT2; the default)");

    public IEnumerable<Symbol> Symbols => [Type, Sig, Family, Model, Stepping, Layout];

    public const string Usage = "(--vcpu-type NAME | --vcpu-sig HEX | --vcpu-family F --vcpu-model M --vcpu-stepping S) [--vmsa-layout legacy|init2]";

    public bool AnyGiven(ParseResult args) => Symbols.OfType<Option>().Any(o => CliOptions.Given(args, o));

    /// <summary>The first of these options given, to name in an error.</summary>
    public string? FirstGiven(ParseResult args) => Symbols.OfType<Option>().FirstOrDefault(o => CliOptions.Given(args, o))?.Name;

    /// <param name="defaultType">The model when no signature option is given; null makes one required.</param>
    public EsVcpuModel Read(string command, ParseResult args, string? defaultType = null)
    {
        string? type = args.GetValue(Type), sig = args.GetValue(Sig);
        string? family = args.GetValue(Family), model = args.GetValue(Model), stepping = args.GetValue(Stepping);
        bool fms = family is not null || model is not null || stepping is not null;
        int ways = (type is not null ? 1 : 0) + (sig is not null ? 1 : 0) + (fms ? 1 : 0);
        if (ways > 1)
            throw new CliUsageException($"gop {command}: give one of {Type.Name}, {Sig.Name} or {Family.Name}/{Model.Name}/{Stepping.Name}, not several");
        uint signature;
        try
        {
            if (sig is not null)
                signature = VcpuSignature.TryParseRaw(sig, out var raw) ? raw : throw CliParse.Bad(command, Sig.Name, $"'{sig}' is not a 32-bit hex value such as 0x800f12");
            else if (fms)
            {
                foreach (var (option, value) in new[] { (Family, family), (Model, model), (Stepping, stepping) })
                {
                    if (value is null)
                        throw CliParse.Bad(command, option.Name, $"is required with {Family.Name}/{Model.Name}/{Stepping.Name}");
                }
                signature = VcpuSignature.FromFamilyModelStepping(
                    CliParse.Int32(command, Family.Name, family!), CliParse.Int32(command, Model.Name, model!), CliParse.Int32(command, Stepping.Name, stepping!));
            }
            else if ((type ?? defaultType) is { } name)
                signature = VcpuSignature.TryFromModel(name, out var byName)
                    ? byName
                    : throw CliParse.Bad(command, Type.Name, $"unknown vCPU type '{name}' (known: {string.Join(", ", VcpuSignature.KnownModels)})");
            else
                throw new CliUsageException($"gop {command}: missing the vCPU signature: give {Type.Name} NAME, {Sig.Name} HEX or {Family.Name}/{Model.Name}/{Stepping.Name}");
        }
        catch (CryptoFormatException ex)
        {
            // Only the family/model/stepping formula throws here; its message names the field that is out of range.
            var option = ex.Message.Contains("stepping") ? Stepping : ex.Message.Contains("model") ? Model : Family;
            throw CliParse.Bad(command, option.Name, ex.Message);
        }

        var layoutText = args.GetValue(Layout) ?? VmsaLayouts.Init2Name;
        if (!VmsaLayouts.TryParse(layoutText, out var layout))
            throw CliParse.Bad(command, Layout.Name, $"'{layoutText}' is not a VMSA layout (known: {string.Join(", ", VmsaLayouts.Names)})");
        return new EsVcpuModel(signature, layout);
    }
}

/// <summary>
/// The SEV-ES/CSV2 image options of digest, measure, verify-measurement and simulate:
/// <c>--es --vcpus N|LIST|RANGE</c> and the <see cref="VcpuOptions"/>. Without <c>--es</c> none of them may be given.
/// </summary>
public sealed class EsOptions
{
    public Option<bool> Es { get; } = CliOptions.Flag("--es", "an SEV-ES (CSV2 on Hygon) launch: the digest also covers one VMSA page per vCPU");
    public Option<string> Vcpus { get; } = CliOptions.Value("--vcpus", "N", "vCPU count of the ES guest: a number, a list 1,2,4 or a range 1-8 (one digest each)");
    public VcpuOptions Vcpu { get; } = new();

    public IEnumerable<Symbol> Symbols => [Es, Vcpus, .. Vcpu.Symbols];

    public const string Usage = "[--es --vcpus N " + VcpuOptions.Usage + "]";

    /// <summary>Null without <c>--es</c>.</summary>
    public EsChoice? Read(string command, ParseResult args, string? defaultType = null, bool single = false)
    {
        if (!args.GetValue(Es))
        {
            var stray = CliOptions.Given(args, Vcpus) ? Vcpus.Name : Vcpu.FirstGiven(args);
            if (stray is not null)
                throw CliParse.Bad(command, stray, $"applies only to an SEV-ES/CSV2 launch: add {Es.Name}");
            return null;
        }
        var text = args.GetValue(Vcpus) ?? throw CliParse.Bad(command, Vcpus.Name, $"is required with {Es.Name}");
        IReadOnlyList<int> counts;
        try
        {
            counts = VcpuCounts.Parse(text);
        }
        catch (CryptoFormatException ex)
        {
            throw CliParse.Bad(command, Vcpus.Name, ex.Message);
        }
        if (single && counts.Count != 1)
            throw CliParse.Bad(command, Vcpus.Name, $"'{text}' names {counts.Count} counts; this command needs exactly one");
        return new EsChoice(counts, Vcpu.Read(command, args, defaultType));
    }

    /// <summary>The firmware measures VMSA pages only for a policy with the ES bit: an ES digest cannot match any other launch.</summary>
    public static void RequireMatchingPolicy(string command, string policyOption, uint policy, EsChoice? es)
    {
        if (es is not null && !GuestPolicyBits.IsEs(policy))
            throw CliParse.Bad(command, policyOption, $"0x{policy:x} lacks the ES bit (0x{GuestPolicyBits.Es:x}) that an SEV-ES/CSV2 launch (--es) has");
    }

    /// <summary>Computes the ES digests; format problems (an OVMF without the reset block) are exit 2.</summary>
    public static EsLaunchDigestResult Compute(string command, ILaunchCrypto crypto, LaunchImage image, EsChoice es)
    {
        try
        {
            return LaunchDigest.ComputeEs(crypto, image, es.Vcpu, es.Vcpus);
        }
        catch (CryptoFormatException ex)
        {
            throw new CliUsageException($"gop {command}: {ex.Message}", ex);
        }
    }
}
