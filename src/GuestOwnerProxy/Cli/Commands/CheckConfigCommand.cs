using System.Text.Json.Nodes;
using System.CommandLine;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary>
/// <c>gop check-config</c>: validates the settings and keysets.json/keys.json offline exactly as the server does at
/// start-up (the same configuration sources, settings rules and loader): exit 0 only when the server would start.
/// </summary>
public sealed class CheckConfigCommand : CliCommand
{
    public override string Name => "check-config";
    public override string Summary => "validate the settings and keysets.json/keys.json offline as the server does, and print the digests it will accept";
    public override string Details =>
        """
        Reads the GuestOwnerProxy settings from the same sources as the server (appsettings.json and
        appsettings.ENVIRONMENT.json beside the binary, environment variables, then the command line:
        -c/-k/-u/-p and --GuestOwnerProxy:Setting=value as for gop serve) and validates them with the
        server's rules (sessions, endpoints and TLS files, audit log path, reload interval, bundle
        encodings, values that do not bind). Then loads keysets.json and keys.json with the server's
        configuration loader and prints every keyset: platform, policies, API and build rules, key ids
        (never key values), and the launch digests the server will accept per platform, including the
        digests it computes for allowed_images. Warnings go to stderr.

        Exit 0 and "configuration valid" only when the server would start with these settings and files;
        2 with the server's own start-up message (setting, or file, keyset and field) when it would refuse.

        The settings' Trust section (RootFiles, ExtraRootFingerprints, IntermediateFiles/Directories) is
        loaded with the server's TrustLoader and reported; their paths are relative to the working directory,
        as for the server.
        """;

    private readonly Option<string> _config = CliOptions.Value("--config", "F", "keysets file (default keysets.json)", aliases: "-c");
    private readonly Option<string> _keyFile = CliOptions.Value("--keyfile", "F", "keys file (default keys.json)", aliases: "-k");
    private readonly Option<bool> _unsafe = CliOptions.Flag("--unsafe", "validate as for a server started with --unsafe (keysets without digests allowed)", "-u");
    private readonly Option<string> _environment = CliOptions.Value("--environment", "E",
        "settings as the server of environment E reads them (default: ASPNETCORE_ENVIRONMENT / DOTNET_ENVIRONMENT, else Production): "
        + "appsettings.json and appsettings.E.json beside the gop binary, then GuestOwnerProxy__* environment variables");
    private readonly Option<string> _port = CliOptions.Value("--port", "PORT", "validate as for a server started with -p PORT", aliases: "-p");
    private readonly Option<string> _appSettings = CliOptions.Value("--appsettings", "F",
        "one more settings file, over the appsettings files and under environment variables and the command line (like a deployment's appsettings override)");
    private readonly Option<bool> _json = CliOptions.Flag("--json", "machine-readable output");
    private readonly Argument<string[]> _settings = new("SETTING")
    {
        Description = "--GuestOwnerProxy:Setting=value, as on the server's command line (Sessions:Ttl, Urls:0, Tls:CertificateFile, AuditLog, ...)",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public override IEnumerable<Symbol> Symbols => [_config, _keyFile, _unsafe, _port, _environment, _appSettings, _json, _settings];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        var (read, sources, environment) = Settings(args);
        if (read.Failure is { } refused)
        {
            // The server's start-up failure is "gop: <message>"; the message is the same.
            context.Err.WriteLine($"error: gop {Name}: {refused}");
            return Task.FromResult(ExitCodes.BadInput);
        }
        var options = read.Options!;

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
            CliJson.Write(context.Out, new JsonObject
            {
                ["valid"] = true,
                ["keysetsFile"] = options.KeysetsFile,
                ["keysFile"] = options.KeysFile,
                ["keyCount"] = configuration.KeyCount,
                ["settings"] = new JsonObject { ["environment"] = environment, ["files"] = CliJson.Strings(sources) },
                ["trust"] = new JsonObject
                {
                    ["rootFiles"] = CliJson.Array(trust.RootFiles, f => new JsonObject { ["file"] = f, ["sha256"] = FileSha256(f) }),
                    ["extraRootFingerprints"] = CliJson.Strings(configuration.Trust.ExtraRootFingerprints),
                    ["intermediateFiles"] = CliJson.Strings(trust.IntermediateFiles),
                    ["intermediateDirectories"] = CliJson.Strings(trust.IntermediateDirectories),
                    ["intermediates"] = configuration.Trust.IntermediateCount,
                    ["skipVerification"] = trust.SkipVerification,
                },
                ["keysets"] = CliJson.Array(keysets, k => new JsonObject
                {
                    ["id"] = k.Id,
                    ["platform"] = k.Definition.Platform is { } p ? PlatformNames.Of(p) : "any",
                    ["allowedPolicies"] = CliJson.Strings(k.Definition.AllowedPolicies.Order().Select(p => $"0x{p:x}")),
                    ["minApi"] = $"{k.Definition.MinApiMajor}.{k.Definition.MinApiMinor}",
                    ["allowedBuildIds"] = CliJson.Numbers(k.Definition.AllowedBuildIds.Order()),
                    ["minBuildId"] = k.Definition.MinBuildId,
                    ["keys"] = CliJson.Strings(k.Definition.AllowedKeys),
                    ["secretGuid"] = k.Definition.SecretGuid.ToString(),
                    ["allowedChips"] = CliJson.Strings(k.Definition.AllowedChips.Order()),
                    ["digests"] = CliJson.Object(Platforms(k), PlatformNames.Of, p => CliJson.Array(k.DigestsFor(p), d => new JsonObject
                    {
                        ["name"] = d.Candidate.Name,
                        ["digest"] = Hex(d.Candidate.Digest),
                        ["secretAreaSize"] = d.SecretAreaSize,
                        ["launch"] = LaunchKindOf(d),
                    })),
                    ["formulas"] = CliJson.Object(Platforms(k), PlatformNames.Of, p => CliJson.Strings(k.Definition.FormulasFor(p).Select(MeasurementFormulas.Name))),
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

    /// <summary>Which launches a digest is a candidate for: "es" (policy bit 0x4), "plain", or "any" (a literal digest).</summary>
    private static string LaunchKindOf(ExpectedDigest digest) => digest.Es switch
    {
        true => "es",
        false => "plain",
        null => "any",
    };

    /// <summary>
    /// The settings as the server would read them for the same command line: <see cref="ServerHost.CreateBuilder"/>
    /// (the server's own configuration sources) and <see cref="GuestOwnerProxySettings.Read"/> (its rules).
    /// </summary>
    private (SettingsReadResult Read, List<string> Sources, string Environment) Settings(ParseResult args)
    {
        var settings = args.GetValue(_settings) ?? [];
        if (PythonFlags.NotSettings(settings).FirstOrDefault() is { } stray)
            throw new CliUsageException($"gop {Name}: unexpected argument '{stray}' (settings are --GuestOwnerProxy:Setting=value; see 'gop help {Name}')");

        var serverArgs = ServerCommandLine(args);
        if (args.GetValue(_environment) is { } environmentName)
            serverArgs.AddRange(["--environment", environmentName]);

        Microsoft.AspNetCore.Builder.WebApplicationBuilder builder;
        try
        {
            builder = ServerHost.CreateBuilder([.. serverArgs]);
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException($"gop {Name}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException)
        {
            throw new CliUsageException($"gop {Name}: settings: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
        using var configuration = builder.Configuration;
        IConfigurationBuilder sourcesOf = configuration;
        if (args.GetValue(_appSettings) is { } extra)
        {
            CliFiles.RequireRegular(Name, "--appsettings", extra);
            var file = new JsonConfigurationSource { Path = Path.GetFullPath(extra), Optional = false, ReloadOnChange = false };
            file.ResolveFileProvider();
            // Over the appsettings files, under environment variables and the command line.
            int after = sourcesOf.Sources.Select((s, i) => (s, i)).LastOrDefault(x => x.s is JsonConfigurationSource, (null!, -1)).Item2;
            try
            {
                sourcesOf.Sources.Insert(after + 1, file);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException)
            {
                throw new CliUsageException($"gop {Name}: settings ({extra}): {ex.Message.ReplaceLineEndings(" ")}", ex);
            }
        }
        var sources = sourcesOf.Sources.OfType<FileConfigurationSource>()
            .Select(s => s.FileProvider?.GetFileInfo(s.Path ?? "") is { Exists: true, PhysicalPath: { } path } ? path : null)
            .OfType<string>()
            .ToList();
        return (GuestOwnerProxySettings.Read(configuration), sources, builder.Environment.EnvironmentName);
    }

    /// <summary>
    /// The server's command line within this one: -c/-k/-p/-u and the settings, in the order given, since on the
    /// server's command line the later of a flag and a setting for the same key wins (-p 0 ... --GuestOwnerProxy:Port=70000).
    /// </summary>
    private List<string> ServerCommandLine(ParseResult args)
    {
        var serverFlags = new Dictionary<Option, string> { [_config] = "-c", [_keyFile] = "-k", [_port] = "-p", [_unsafe] = "-u" };
        Option[] ownValueOptions = [_environment, _appSettings];
        static bool Names(Option option, string token) => option.Name == token || option.Aliases.Contains(token);
        var result = new List<string>();
        var tokens = args.Tokens;
        for (int i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Type == System.CommandLine.Parsing.TokenType.Option)
            {
                if (serverFlags.FirstOrDefault(f => Names(f.Key, token.Value)) is { Key: not null } flag)
                {
                    result.Add(flag.Value);
                    if (flag.Key != _unsafe && i + 1 < tokens.Count)
                        result.Add(tokens[++i].Value);
                }
                else if (ownValueOptions.Any(o => Names(o, token.Value)))
                    i++; // its value
            }
            else if (token.Type == System.CommandLine.Parsing.TokenType.Argument)
                result.Add(token.Value); // a setting (or a setting's value: --GuestOwnerProxy:Port 5)
        }
        return result;
    }

    private static string FileSha256(string path)
    {
        try
        {
            // The loader accepted the file a moment ago; the same bounded read guards against it changing since.
            return Hex(System.Security.Cryptography.SHA256.HashData(RegularFile.ReadAll(path, FileFormat.Certificates.MaxBytes, FileFormat.Certificates.Name)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unreadable";
        }
    }

    private static IEnumerable<PlatformKind> Platforms(Keyset keyset) =>
        new[] { PlatformKind.Csv, PlatformKind.Sev }.Where(keyset.Definition.AppliesTo);
}
