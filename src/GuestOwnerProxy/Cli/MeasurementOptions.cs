using System.CommandLine;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Cli;

/// <summary>Options shared by measure and verify-measurement: platform, TIK, firmware facts, formulas and the expected digest(s).</summary>
public sealed class MeasurementOptions
{
    public Option<string> Platform { get; } = CliOptions.Platform("platform of the launch");
    public Option<string> Tik { get; } = CliOptions.Value("--tik", "HEX|@FILE",
        "the session's TIK: 32 hex digits, or a file with 16 raw bytes (sevctl tik.bin) or hex text", required: true);
    public Option<string> ApiMajor { get; } = CliOptions.Value("--api-major", "N", "firmware API major (hag/sevtool --platform_status)", required: true);
    public Option<string> ApiMinor { get; } = CliOptions.Value("--api-minor", "N", "firmware API minor", required: true);
    public Option<string> Build { get; } = CliOptions.Value("--build", "N", "firmware build id (Hygon build ids are wide, e.g. 1600)", required: true);
    public Option<string> Policy { get; } = CliOptions.Value("--policy", "N", "guest policy, decimal or 0x hex (raw bits)", required: true);
    public Option<string[]> Digest { get; } = CliOptions.Repeated("--digest", "HEX",
        "expected launch digest, 64 hex digits or base64 (instead of the image options)");
    public Option<string[]> Variant { get; } = CliOptions.Repeated("--variant", "NAME",
        $"measurement formula: {string.Join(", ", MeasurementFormulas.Names)}; repeatable (default: sev for sev, all three csv candidates for csv)");
    public Option<bool> Json { get; } = CliOptions.Flag("--json", "machine-readable output");
    public ImageOptions Image { get; } = new();
    public EsOptions Es { get; } = new();

    public IEnumerable<Symbol> Symbols => [Platform, Tik, ApiMajor, ApiMinor, Build, Policy, Digest, Variant, Json, .. Image.Symbols, .. Es.Symbols];

    public MeasurementParameters Parameters(string command, ParseResult args) =>
        new(CliParse.Int32(command, ApiMajor.Name, args.GetValue(ApiMajor)!),
            CliParse.Int32(command, ApiMinor.Name, args.GetValue(ApiMinor)!),
            CliParse.Int64(command, Build.Name, args.GetValue(Build)!),
            CliParse.UInt32(command, Policy.Name, args.GetValue(Policy)!));

    public IReadOnlyList<MeasurementFormula> Formulas(string command, ParseResult args, PlatformKind platform)
    {
        var names = args.GetValue(Variant) ?? [];
        if (names.Length == 0)
            return MeasurementFormulas.DefaultsFor(platform);
        var formulas = new List<MeasurementFormula>();
        foreach (var name in names)
        {
            if (!MeasurementFormulas.TryParse(name, out var formula))
                throw CliParse.Bad(command, Variant.Name, $"'{name}' is not a measurement formula (known: {string.Join(", ", MeasurementFormulas.Names)})");
            if (MeasurementFormulas.PlatformOf(formula) != platform)
                throw CliParse.Bad(command, Variant.Name, $"formula '{name}' belongs to {PlatformNames.Of(MeasurementFormulas.PlatformOf(formula))}, not {PlatformNames.Of(platform)}");
            if (!formulas.Contains(formula))
                formulas.Add(formula);
        }
        return formulas;
    }

    /// <summary>The candidate digests: every <c>--digest</c>, or the digest of the image options (exactly one of the two).</summary>
    public IReadOnlyList<DigestCandidate> Digests(string command, ParseResult args, ILaunchCrypto crypto, bool allowMany)
    {
        var given = args.GetValue(Digest) ?? [];
        bool image = Image.Given(args);
        if (given.Length > 0 && image)
            throw new CliUsageException($"gop {command}: give --digest or the image options (--ovmf ...), not both");
        if (given.Length == 0 && !image)
            throw new CliUsageException($"gop {command}: missing the expected launch digest: give --digest HEX or --ovmf F (and the other image options)");
        if (given.Length > 1 && !allowMany)
            throw new CliUsageException($"gop {command}: option '--digest' given more than once");
        var es = Es.Read(command, args, single: !allowMany);
        if (es is not null)
        {
            EsOptions.RequireMatchingPolicy(command, Policy.Name, CliParse.UInt32(command, Policy.Name, args.GetValue(Policy)!), es);
            if (!image)
                throw CliParse.Bad(command, Es.Es.Name, "computes the digests from the image options: give --ovmf F (and the other image options), not --digest");
            var result = EsOptions.Compute(command, crypto, Image.Read(command, args), es);
            return result.Digests.Select(d => new DigestCandidate(
                $"image {args.GetValue(Image.Ovmf)} (es, {d.Vcpus} vcpu{(d.Vcpus == 1 ? "" : "s")}, {VmsaLayouts.Name(es.Vcpu.Layout)})", d.Digest)).ToList();
        }
        if (image)
        {
            var result = ImageOptions.Compute(command, crypto, Image.Read(command, args));
            return [new DigestCandidate($"image {args.GetValue(Image.Ovmf)}", result.Digest)];
        }
        return given.Select(text => new DigestCandidate(Hexish(text), ParseDigest(command, text))).ToList();
    }

    /// <summary>A 32-byte digest in hex (64 digits) or base64 (44 characters), as keysets.json accepts.</summary>
    public static byte[] ParseDigest(string command, string text)
    {
        var t = text.Trim();
        if (t.Length == 64)
            return CliParse.Hex(command, "--digest", t, 32);
        byte[]? bytes = null;
        try
        {
            bytes = Convert.FromBase64String(t);
        }
        catch (FormatException)
        {
        }
        if (bytes is { Length: 32 })
            return bytes;
        throw CliParse.Bad(command, "--digest", $"'{text}' is neither 64 hex digits nor base64 of 32 bytes");
    }

    private static string Hexish(string text) => text.Trim().ToLowerInvariant();
}
