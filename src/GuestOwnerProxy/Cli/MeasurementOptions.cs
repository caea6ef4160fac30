using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Cli;

/// <summary>Options shared by measure and verify-measurement: platform, TIK, firmware facts, formulas and the expected digest(s).</summary>
public static class MeasurementOptions
{
    public static IReadOnlyList<OptionSpec> Specs { get; } =
    [
        new(OptionKind.Single, "--platform"),
        new(OptionKind.Single, "--tik"),
        new(OptionKind.Single, "--api-major"),
        new(OptionKind.Single, "--api-minor"),
        new(OptionKind.Single, "--build"),
        new(OptionKind.Single, "--policy"),
        new(OptionKind.Multiple, "--digest"),
        new(OptionKind.Multiple, "--variant"),
        new(OptionKind.Flag, "--json"),
        .. ImageOptions.Specs,
    ];

    public const string Help =
        """
          --platform csv|sev  platform of the launch
          --tik HEX|@FILE     the session's TIK: 32 hex digits, or a file with 16 raw bytes (sevctl tik.bin) or hex text
          --api-major N       firmware API major (hag/sevtool --platform_status)
          --api-minor N
          --build N           firmware build id (Hygon build ids are wide, e.g. 1600)
          --policy N          guest policy, decimal or 0x hex (raw bits)
          --digest HEX        expected launch digest, 64 hex digits or base64 (instead of the image options)
          --variant NAME      measurement formula: sev, csv-no-build, csv-build8, csv-build32; repeatable
                              (default: sev for sev, all three csv candidates for csv)
          --json              machine-readable output
        """;

    public static MeasurementParameters Parameters(CommandArguments args) =>
        new(args.RequireInt("--api-major"), args.RequireInt("--api-minor"), args.RequireLong("--build"), args.RequireUInt("--policy"));

    public static IReadOnlyList<MeasurementFormula> Formulas(CommandArguments args, PlatformKind platform)
    {
        var names = args.Values("--variant");
        if (names.Count == 0)
            return MeasurementFormulas.DefaultsFor(platform);
        var formulas = new List<MeasurementFormula>();
        foreach (var name in names)
        {
            if (!MeasurementFormulas.TryParse(name, out var formula))
                throw CliParse.Bad(args.Command, "--variant", $"'{name}' is not a measurement formula (known: {string.Join(", ", MeasurementFormulas.Names)})");
            if (MeasurementFormulas.PlatformOf(formula) != platform)
                throw CliParse.Bad(args.Command, "--variant", $"formula '{name}' belongs to {CliParse.PlatformName(MeasurementFormulas.PlatformOf(formula))}, not {CliParse.PlatformName(platform)}");
            if (!formulas.Contains(formula))
                formulas.Add(formula);
        }
        return formulas;
    }

    /// <summary>The candidate digests: every <c>--digest</c>, or the digest of the image options (exactly one of the two).</summary>
    public static IReadOnlyList<DigestCandidate> Digests(CommandArguments args, PlatformKind platform, bool allowMany)
    {
        var given = args.Values("--digest");
        bool image = ImageOptions.Given(args);
        if (given.Count > 0 && image)
            throw new CliUsageException($"gop {args.Command}: give --digest or the image options (--ovmf ...), not both");
        if (given.Count == 0 && !image)
            throw new CliUsageException($"gop {args.Command}: missing the expected launch digest: give --digest HEX or --ovmf F (and the other image options)");
        if (given.Count > 1 && !allowMany)
            throw new CliUsageException($"gop {args.Command}: option '--digest' given more than once");
        if (image)
        {
            var result = ImageOptions.Compute(args.Command, platform, ImageOptions.Read(args));
            return [new DigestCandidate($"image {args.Value(ImageOptions.Ovmf)}", result.Digest)];
        }
        return given.Select((text, i) => new DigestCandidate(Hexish(text), ParseDigest(args.Command, text))).ToList();
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
