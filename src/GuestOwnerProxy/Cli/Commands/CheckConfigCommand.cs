using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop check-config</c>: validates keysets.json and keys.json offline with the server's own loader.</summary>
public sealed class CheckConfigCommand : CliCommand
{
    public override string Name => "check-config";
    public override string Summary => "validate keysets.json/keys.json offline and print the digests the server will accept";
    public override string Help =>
        """
        usage: gop check-config [-c keysets.json] [-k keys.json] [-u] [--json]

        Loads both files with the server's configuration loader (the same validation as at start-up and on
        reload) and prints every keyset: platform, policies, API and build rules, key ids (never key values),
        and the launch digests the server will accept per platform, including the digests it computes
        for allowed_images. Warnings go to stderr. Exit 0 when valid, 2 with every problem (file, keyset,
        field) when not.

          -c, --config F    keysets file (default keysets.json)
          -k, --keyfile F   keys file (default keys.json)
          -u, --unsafe      validate as for a server started with --unsafe (keysets without digests allowed)
          --json            machine-readable output
        """;

    public override IReadOnlyList<OptionSpec> Options { get; } =
    [
        new(OptionKind.Single, "--config", "-c"),
        new(OptionKind.Single, "--keyfile", "-k"),
        new(OptionKind.Flag, "--unsafe", "-u"),
        new(OptionKind.Flag, "--json"),
    ];

    public override Task<int> RunAsync(CommandArguments args, CliContext context)
    {
        args.RequirePositionals();
        var options = new GuestOwnerProxyOptions
        {
            KeysetsFile = args.Value("--config") ?? "keysets.json",
            KeysFile = args.Value("--keyfile") ?? "keys.json",
            Unsafe = args.Flag("--unsafe"),
        };

        ConfigurationLoadResult result;
        try
        {
            result = new BrokerConfigurationLoader().Load(options);
        }
        catch (ConfigurationException ex)
        {
            context.Err.WriteLine($"error: gop {Name}: {ex.Message}");
            return Task.FromResult(ExitCodes.BadInput);
        }

        foreach (var warning in result.Warnings)
            context.Err.WriteLine($"warning: {warning}");

        var configuration = result.Configuration;
        var keysets = configuration.Keysets.Values.OrderBy(k => k.Id, StringComparer.Ordinal).ToList();
        if (args.Flag("--json"))
        {
            CliJson.Write(context.Out, new
            {
                valid = true,
                keysetsFile = options.KeysetsFile,
                keysFile = options.KeysFile,
                keyCount = configuration.KeyCount,
                keysets = keysets.Select(k => new
                {
                    id = k.Id,
                    platform = k.Definition.Platform is { } p ? CliParse.PlatformName(p) : "any",
                    allowedPolicies = k.Definition.AllowedPolicies.Order().Select(p => $"0x{p:x}"),
                    minApi = $"{k.Definition.MinApiMajor}.{k.Definition.MinApiMinor}",
                    allowedBuildIds = k.Definition.AllowedBuildIds.Order(),
                    minBuildId = k.Definition.MinBuildId,
                    keys = k.Definition.AllowedKeys,
                    secretGuid = k.Definition.SecretGuid.ToString(),
                    allowedChips = k.Definition.AllowedChips.Order(),
                    digests = Platforms(k).ToDictionary(
                        p => CliParse.PlatformName(p),
                        p => k.DigestsFor(p).Select(d => new
                        {
                            name = d.Candidate.Name,
                            digest = Hex(d.Candidate.Digest),
                            secretAreaSize = d.SecretAreaSize,
                        })),
                    formulas = Platforms(k).ToDictionary(
                        p => CliParse.PlatformName(p),
                        p => k.Definition.FormulasFor(p).Select(MeasurementFormulas.Name)),
                }),
            });
            return Task.FromResult(ExitCodes.Success);
        }

        context.Out.WriteLine($"configuration valid: {options.KeysetsFile} ({keysets.Count} keyset{(keysets.Count == 1 ? "" : "s")}), {options.KeysFile} ({configuration.KeyCount} key{(configuration.KeyCount == 1 ? "" : "s")})");
        foreach (var keyset in keysets)
        {
            var d = keyset.Definition;
            context.Out.WriteLine();
            context.Out.WriteLine($"keyset {keyset.Id}");
            context.Out.WriteLine($"  platform:  {(d.Platform is { } p ? CliParse.PlatformName(p) : "any (the session's PDH decides)")}");
            context.Out.WriteLine($"  policies:  {string.Join(", ", d.AllowedPolicies.Order().Select(x => $"0x{x:x}"))}");
            context.Out.WriteLine($"  min api:   {d.MinApiMajor}.{d.MinApiMinor}");
            var builds = d.AllowedBuildIds.Order().Select(b => b.ToString()).ToList();
            if (d.MinBuildId is { } min)
                builds.Add($">= {min}");
            context.Out.WriteLine($"  builds:    {(builds.Count == 0 ? "none" : string.Join(", ", builds))}");
            context.Out.WriteLine($"  keys:      {string.Join(", ", d.AllowedKeys)}");
            context.Out.WriteLine($"  secret:    entry GUID {d.SecretGuid}");
            if (d.AllowedChips.Count > 0)
                context.Out.WriteLine($"  chips:     {string.Join(", ", d.AllowedChips.Order())}");
            foreach (var platform in Platforms(keyset))
            {
                context.Out.WriteLine($"  {CliParse.PlatformName(platform)} digests ({string.Join(", ", d.FormulasFor(platform).Select(MeasurementFormulas.Name))}):");
                var digests = keyset.DigestsFor(platform);
                if (digests.Count == 0)
                    context.Out.WriteLine("    none (measurement checking off: --unsafe)");
                foreach (var digest in digests)
                    context.Out.WriteLine($"    {Hex(digest.Candidate.Digest)}  {digest.Candidate.Name}");
            }
        }
        return Task.FromResult(ExitCodes.Success);
    }

    private static IEnumerable<PlatformKind> Platforms(Keyset keyset) =>
        new[] { PlatformKind.Csv, PlatformKind.Sev }.Where(keyset.Definition.AppliesTo);
}
