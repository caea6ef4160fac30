using System.CommandLine;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Configuration;
using Microsoft.Extensions.Configuration;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop check-config</c>: validates keysets.json and keys.json offline with the server's own loader.</summary>
public sealed class CheckConfigCommand : CliCommand
{
    public override string Name => "check-config";
    public override string Summary => "validate keysets.json/keys.json offline and print the digests the server will accept";
    public override string Details =>
        """
        Loads both files with the server's configuration loader (the same validation as at start-up and on
        reload) and prints every keyset: platform, policies, API and build rules, key ids (never key values),
        and the launch digests the server will accept per platform, including the digests it computes
        for allowed_images. Warnings go to stderr. Exit 0 when valid, 2 with every problem (file, keyset,
        field) when not.

        The settings' Trust section (RootFiles, ExtraRootFingerprints, IntermediateFiles/Directories) is
        loaded with the server's TrustLoader and reported; their paths are relative to the working directory,
        as for the server. KeysetsFile/KeysFile from the settings apply unless -c/-k are given.
        """;

    private readonly Option<string> _config = CliOptions.Value("--config", "F", "keysets file (default keysets.json)", aliases: "-c");
    private readonly Option<string> _keyFile = CliOptions.Value("--keyfile", "F", "keys file (default keys.json)", aliases: "-k");
    private readonly Option<bool> _unsafe = CliOptions.Flag("--unsafe", "validate as for a server started with --unsafe (keysets without digests allowed)", "-u");
    private readonly Option<string> _environment = CliOptions.Value("--environment", "E",
        "settings as the server of environment E reads them (default: ASPNETCORE_ENVIRONMENT / DOTNET_ENVIRONMENT, else Production): "
        + "appsettings.json and appsettings.E.json beside the gop binary, then GuestOwnerProxy__* environment variables");
    private readonly Option<string> _appSettings = CliOptions.Value("--appsettings", "F", "one more settings file on top (like a deployment's appsettings override)");
    private readonly Option<bool> _json = CliOptions.Flag("--json", "machine-readable output");

    public override IEnumerable<Symbol> Symbols => [_config, _keyFile, _unsafe, _environment, _appSettings, _json];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        var (options, sources, environment) = Settings(args);
        if (args.GetValue(_config) is { } keysetsFile)
            options.KeysetsFile = keysetsFile;
        if (args.GetValue(_keyFile) is { } keysFile)
            options.KeysFile = keysFile;
        if (args.GetValue(_unsafe))
            options.Unsafe = true;

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
        var trust = options.Trust;

        foreach (var warning in result.Warnings)
            context.Err.WriteLine($"warning: {warning}");

        var configuration = result.Configuration;
        var keysets = configuration.Keysets.Values.OrderBy(k => k.Id, StringComparer.Ordinal).ToList();
        if (args.GetValue(_json))
        {
            CliJson.Write(context.Out, new
            {
                valid = true,
                keysetsFile = options.KeysetsFile,
                keysFile = options.KeysFile,
                keyCount = configuration.KeyCount,
                settings = new { environment, files = sources },
                trust = new
                {
                    rootFiles = trust.RootFiles.Select(f => new { file = f, sha256 = FileSha256(f) }),
                    extraRootFingerprints = configuration.Trust.ExtraRootFingerprints,
                    intermediateFiles = trust.IntermediateFiles,
                    intermediateDirectories = trust.IntermediateDirectories,
                    intermediates = configuration.Trust.IntermediateCount,
                    skipVerification = trust.SkipVerification,
                },
                keysets = keysets.Select(k => new
                {
                    id = k.Id,
                    platform = k.Definition.Platform is { } p ? PlatformNames.Of(p) : "any",
                    allowedPolicies = k.Definition.AllowedPolicies.Order().Select(p => $"0x{p:x}"),
                    minApi = $"{k.Definition.MinApiMajor}.{k.Definition.MinApiMinor}",
                    allowedBuildIds = k.Definition.AllowedBuildIds.Order(),
                    minBuildId = k.Definition.MinBuildId,
                    keys = k.Definition.AllowedKeys,
                    secretGuid = k.Definition.SecretGuid.ToString(),
                    allowedChips = k.Definition.AllowedChips.Order(),
                    digests = Platforms(k).ToDictionary(
                        p => PlatformNames.Of(p),
                        p => k.DigestsFor(p).Select(d => new
                        {
                            name = d.Candidate.Name,
                            digest = Hex(d.Candidate.Digest),
                            secretAreaSize = d.SecretAreaSize,
                        })),
                    formulas = Platforms(k).ToDictionary(
                        p => PlatformNames.Of(p),
                        p => k.Definition.FormulasFor(p).Select(MeasurementFormulas.Name)),
                }),
            });
            return Task.FromResult(ExitCodes.Success);
        }

        context.Out.WriteLine($"configuration valid: {options.KeysetsFile} ({keysets.Count} keyset{(keysets.Count == 1 ? "" : "s")}), {options.KeysFile} ({configuration.KeyCount} key{(configuration.KeyCount == 1 ? "" : "s")})");
        context.Out.WriteLine();
        context.Out.WriteLine($"trust (environment {environment}; settings: {(sources.Count == 0 ? "none found" : string.Join(", ", sources))})");
        context.Out.WriteLine($"  roots:         built-in vendor pins{(trust.RootFiles.Count == 0 ? "" : ", files:")}");
        foreach (var root in trust.RootFiles)
            context.Out.WriteLine($"    {root} (sha256 {FileSha256(root)})");
        foreach (var extra in configuration.Trust.ExtraRootFingerprints)
            context.Out.WriteLine($"  extra root:    {extra} (accepted besides the pins)");
        context.Out.WriteLine($"  intermediates: {configuration.Trust.IntermediateCount} file{(configuration.Trust.IntermediateCount == 1 ? "" : "s")}"
            + (trust.IntermediateFiles.Count + trust.IntermediateDirectories.Count == 0 ? "" : $" ({string.Join(", ", trust.IntermediateFiles.Concat(trust.IntermediateDirectories.Select(d => d + "/")))})"));
        context.Out.WriteLine($"  verification:  {(trust.SkipVerification ? "SWITCHED OFF (SkipVerification)" : "on")}");
        foreach (var keyset in keysets)
        {
            var d = keyset.Definition;
            context.Out.WriteLine();
            context.Out.WriteLine($"keyset {keyset.Id}");
            context.Out.WriteLine($"  platform:  {(d.Platform is { } p ? PlatformNames.Of(p) : "any (the session's PDH decides)")}");
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
                context.Out.WriteLine($"  {PlatformNames.Of(platform)} digests ({string.Join(", ", d.FormulasFor(platform).Select(MeasurementFormulas.Name))}):");
                var digests = keyset.DigestsFor(platform);
                if (digests.Count == 0)
                    context.Out.WriteLine("    none (measurement checking off: --unsafe)");
                foreach (var digest in digests)
                    context.Out.WriteLine($"    {Hex(digest.Candidate.Digest)}  {digest.Candidate.Name}");
            }
        }
        return Task.FromResult(ExitCodes.Success);
    }

    /// <summary>
    /// The GuestOwnerProxy section as the server would bind it: appsettings.json and appsettings.{environment}.json
    /// beside the binary (the server's content root), an optional extra file, then environment variables.
    /// </summary>
    private (GuestOwnerProxyOptions Options, List<string> Sources, string Environment) Settings(ParseResult args)
    {
        string environment = args.GetValue(_environment)
            ?? NonEmpty(System.Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT"))
            ?? NonEmpty(System.Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT"))
            ?? "Production";
        var sources = new List<string>();
        var builder = new ConfigurationBuilder();
        foreach (var file in new[] { "appsettings.json", $"appsettings.{environment}.json" })
        {
            var path = Path.Combine(AppContext.BaseDirectory, file);
            if (File.Exists(path))
            {
                builder.AddJsonFile(path, optional: false, reloadOnChange: false);
                sources.Add(path);
            }
        }
        if (args.GetValue(_appSettings) is { } extra)
        {
            CliFiles.RequireExists(Name, "--appsettings", extra);
            builder.AddJsonFile(Path.GetFullPath(extra), optional: false, reloadOnChange: false);
            sources.Add(extra);
        }
        builder.AddEnvironmentVariables();
        try
        {
            var options = builder.Build().GetSection(GuestOwnerProxyOptions.SectionName).Get<GuestOwnerProxyOptions>() ?? new();
            return (options, sources, environment);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException)
        {
            throw new CliUsageException($"gop {Name}: settings ({string.Join(", ", sources)}): {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static string FileSha256(string path)
    {
        try
        {
            return Hex(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unreadable";
        }
    }

    private static IEnumerable<PlatformKind> Platforms(Keyset keyset) =>
        new[] { PlatformKind.Csv, PlatformKind.Sev }.Where(keyset.Definition.AppliesTo);
}
