using System.Reflection;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Hosting;
using GuestOwnerProxy.Server.Tests.EndToEnd;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuestOwnerProxy.Server.Tests.Configuration;

/// <summary>
/// Issue 10 item 3: the host is untrusted, so an operator's typo in a field name must never silently switch a rule
/// off. An unknown keyset field, image field or setting is an error naming the closest known name: the server does
/// not start (exit 2, one line), a reload keeps the last good version, and check-config exits 2 (Cli.Tests).
/// </summary>
public sealed class UnknownFieldTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Hex32 = "a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3a11cc9f3";

    private static string Keyset(string extra) => $$"""
        { "KS": { "allowed_digests": ["{{Hex32}}"], "allowed_keys": ["k1"], "allowed-policies": [0],
                  "allowed-build-ids": [13] {{extra}} } }
        """;

    private static List<ConfigurationError> Parse(string keysets)
    {
        var errors = new List<ConfigurationError>();
        KeysetFileParser.Parse("keysets.json", keysets, errors, []);
        return errors;
    }

    [Theory]
    [InlineData("\"allowed_chips\": [\"ab\"]", "unknown field \"allowed_chips\": did you mean 'allowed-chips'?")]
    [InlineData("\"allowed-images\": []", "unknown field \"allowed-images\": did you mean 'allowed_images'?")]
    [InlineData("\"Platform\": \"csv\"", "unknown field \"Platform\": did you mean 'platform'?")]
    [InlineData("\"min-buildid\": 5", "unknown field \"min-buildid\": did you mean 'min-build-id'?")]
    [InlineData("\"secret-giud\": \"x\"", "unknown field \"secret-giud\": did you mean 'secret-guid'?")]
    [InlineData("\"measurment-variants\": []", "unknown field \"measurment-variants\": did you mean 'measurement-variants'?")]
    public void Unknown_keyset_field_is_an_error_with_the_closest_name(string field, string expected)
    {
        var error = Assert.Single(Parse(Keyset(", " + field)));
        Assert.Equal("keysets.json: keyset 'KS': " + expected, error.ToString());
    }

    [Fact]
    public void Unknown_field_far_from_every_name_lists_the_known_fields()
    {
        var error = Assert.Single(Parse(Keyset(", \"comment\": \"lab\"")));
        Assert.Equal("unknown field \"comment\" (known: " + string.Join(", ", KeysetFileParser.KnownFields) + ")", error.Message);
    }

    [Fact]
    public void Unknown_image_field_names_the_image_entry()
    {
        var keysets = Keyset(", \"allowed_images\": [ { \"name\": \"o\", \"ovmf\": \"ovmf.fd\", \"kernel-hashes\": false } ]");
        var error = Assert.Single(Parse(keysets));
        Assert.Equal("keysets.json: keyset 'KS': allowed_images[0]: unknown field \"kernel-hashes\": did you mean 'kernel_hashes'?", error.ToString());
    }

    [Fact]
    public void Every_declared_keyset_field_is_known()
    {
        // The full extension set (config.md): none of the declared names may be reported.
        var keysets = $$"""
            { "KS": { "allowed_digests": ["{{Hex32}}"], "allowed_images": [ { "name": "o", "ovmf": "o.fd", "kernel": "k", "initrd": "i",
                      "cmdline_file": "c", "kernel_hashes": true } ],
                      "allowed_keys": ["k1"], "allowed-policies": [0], "min-api-major": 0, "min-api-minor": 0,
                      "allowed-build-ids": [13], "min-build-id": 1, "platform": "csv", "measurement-variants": ["csv-build8"],
                      "allowed-chips": ["ab"], "secret-guid": "736869e5-84f0-4973-92ec-06879ce3da0b" } }
            """;
        Assert.Empty(Parse(keysets));
    }

    [Theory]
    [InlineData("allowed_chips", "allowed-chips")] // '_' for '-' costs nothing
    [InlineData("ALLOWED-CHIPS", "allowed-chips")] // nor does case
    [InlineData("alowed-chips", "allowed-chips")]
    [InlineData("allowed-cihps", "allowed-chips")] // a transposition is one edit
    [InlineData("chips", null)]                    // more than a third wrong
    [InlineData("zzz", null)]
    public void Closest_name_threshold(string name, string? expected) =>
        Assert.Equal(expected, ClosestName.For(name, KeysetFileParser.KnownFields));

    private static IReadOnlyList<string> UnknownSettings(params (string Key, string Value)[] settings) =>
        SettingNames.UnknownFields(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build());

    [Fact]
    public void Settings_names_come_from_the_options_classes_case_insensitively()
    {
        Assert.Empty(UnknownSettings(
            ("guestownerproxy:sessions:ttl", "00:01:00"), ("GuestOwnerProxy:Trust:RootFiles:0", "a"), ("GuestOwnerProxy:TRUST:skipverification", "false"),
            ("GuestOwnerProxy:Urls:0", "http://127.0.0.1:1"), ("GuestOwnerProxy:Tls:ClientCaFile", ""), ("GuestOwnerProxy:BundleEncoding:Sev", "Raw"),
            // Not ours: other sections, and keys merely starting with the section's name.
            ("Logging:LogLevel:Default", "Debug"), ("GuestOwnerProxyExtra:X", "1"), ("urls", "http://*:1")));
    }

    [Fact]
    public void Every_settable_option_is_a_known_setting()
    {
        // Reflection over the options classes: each public settable property, recursively, is accepted by its own name.
        var keys = new List<(string, string)>();
        void Walk(Type type, string prefix)
        {
            foreach (var (name, propertyType) in SettingNames.Of(type))
            {
                if (propertyType.Namespace == typeof(GuestOwnerProxyOptions).Namespace && propertyType.IsClass)
                    Walk(propertyType, $"{prefix}{name}:");
                else
                    keys.Add(($"{prefix}{name}", "x"));
            }
        }
        Walk(typeof(GuestOwnerProxyOptions), GuestOwnerProxyOptions.SectionName + ":");
        Assert.Contains(("GuestOwnerProxy:Trust:IntermediateDirectories", "x"), keys);
        Assert.Contains(("GuestOwnerProxy:Sessions:MaxMeasurementAttempts", "x"), keys);
        Assert.Empty(UnknownSettings([.. keys]));
    }

    [Fact]
    public void Unknown_setting_names_section_and_suggestion()
    {
        // Every unknown key is reported, in the configuration's key order.
        Assert.Equal(
            ["GuestOwnerProxy: unknown field \"reload_interval\": did you mean 'ReloadInterval'?",
             "GuestOwnerProxy:Trust: unknown field \"RootFile\": did you mean 'RootFiles'?"],
            UnknownSettings(("GuestOwnerProxy:Trust:RootFile:0", "hrk.cert"), ("GuestOwnerProxy:reload_interval", "00:00:01")));
        var read = GuestOwnerProxySettings.Read(new ConfigurationBuilder()
            .AddInMemoryCollection([new("GuestOwnerProxy:Tls:RequireClientCertficate", "true")]).Build());
        Assert.Null(read.Options);
        Assert.Equal("invalid settings: GuestOwnerProxy:Tls: unknown field \"RequireClientCertficate\": did you mean 'RequireClientCertificate'?", read.Failure);
    }

    [Fact]
    public void Native_build_keeps_the_properties_of_every_options_class()
    {
        // The trimmed build keeps a class's properties for SettingNames.Of only where UnknownFields' DynamicDependency
        // attributes ask: they must name exactly the options classes reachable from GuestOwnerProxyOptions.
        var reachable = new HashSet<Type>();
        void Walk(Type type)
        {
            if (!reachable.Add(type))
                return;
            foreach (var (_, propertyType) in SettingNames.Of(type))
                if (propertyType.Namespace == typeof(GuestOwnerProxyOptions).Namespace && propertyType.IsClass)
                    Walk(propertyType);
        }
        Walk(typeof(GuestOwnerProxyOptions));
        var kept = typeof(SettingNames).GetMethod(nameof(SettingNames.UnknownFields))!
            .GetCustomAttributes<System.Diagnostics.CodeAnalysis.DynamicDependencyAttribute>()
            .Where(d => d.MemberTypes.HasFlag(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicProperties))
            .Select(d => d.Type!)
            .ToHashSet();
        Assert.Equal(reachable.OrderBy(t => t.Name), kept.OrderBy(t => t.Name));
    }

    [Fact]
    public void A_serilog_section_is_refused_naming_the_settings_that_set_logging()
    {
        // Logging is configured in code (the native build has no reflection-based Serilog configuration): a Serilog
        // section would be ignored, so it is refused like any unknown setting.
        Assert.Equal(
            ["Serilog: unknown field \"MinimumLevel\" (a Serilog section is not read: logging is set by GuestOwnerProxy:Debug, LogFormat, LogFile, LogFileFormat and LogFileSync)"],
            UnknownSettings(("Serilog:MinimumLevel:Default", "Debug")));
    }

    /// <summary>The appsettings files shipped beside the binary (and the repository's keysets.json, in Cli.Tests) still load.</summary>
    [Theory]
    [InlineData("appsettings.json")]
    [InlineData("appsettings.Development.json")]
    public void Shipped_settings_files_have_no_unknown_field(string file)
    {
        var path = Path.Combine(RepositoryRoot(), "src", "GuestOwnerProxy", file);
        var configuration = new ConfigurationBuilder().AddJsonFile(path, optional: false).Build();
        Assert.Empty(SettingNames.UnknownFields(configuration));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GuestOwnerProxy.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException("GuestOwnerProxy.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Server_refuses_to_start_with_an_unknown_keyset_field()
    {
        var setup = new ServerSetup();
        try
        {
            var keysets = _dir.Write("keysets.json", ServerSetup.DefaultKeysets
                .Replace("images/ovmf.fd", setup.OvmfPath.Replace("\\", "/"))
                .Replace("\"min-api-minor\": 2,", "\"min-api-minor\": 2, \"allowed_chips\": [\"00\"],"));
            var keys = _dir.Write("keys.json", setup.KeysJson);
            var error = new StringWriter();
            int exit = ServerHost.Run(["-c", keysets, "-k", keys, "-p", "0", "--GuestOwnerProxy:ListenAddress=127.0.0.1",
                $"--GuestOwnerProxy:AuditLog={_dir.File("audit.jsonl")}"], error);
            Assert.Equal(ServerHost.ExitBadConfiguration, exit);
            Assert.Equal($"gop: invalid configuration: {keysets}: keyset 'KEYSET-STRICT': unknown field \"allowed_chips\": did you mean 'allowed-chips'?",
                error.ToString().TrimEnd());
        }
        finally
        {
            setup.Directory.Dispose();
        }
    }

    [Fact]
    public async Task Keysets_edit_with_an_unknown_field_keeps_the_last_good_configuration()
    {
        await using var server = await ProxyServer.StartAsync();
        var keysets = server.Setup.Directory.File("keysets.json");
        // The operator meant to pin KEYSET-1 to one chip: with the typo the keyset must not load at all.
        File.WriteAllText(keysets, File.ReadAllText(keysets).Replace("\"allowed-build-ids\": [15, 1600]",
            "\"allowed-build-ids\": [15, 1600], \"allowed_chips\": [\"0000\"]"));
        await Eventually.WaitFor(() => server.ConfigurationStore.RejectedReloads >= 1);
        // (The rendered log quotes the message as a string property, escaping its double quotes.)
        Assert.Contains(server.Logs.RenderedLines(), l => l.Contains("keyset 'KEYSET-1': unknown field", StringComparison.Ordinal)
            && l.Contains("allowed_chips", StringComparison.Ordinal) && l.Contains("did you mean 'allowed-chips'?", StringComparison.Ordinal));
        Assert.Equal(1, server.ConfigurationStore.Current.Version);

        // The last good rules still serve over real gRPC.
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        LaunchTests.AssertGuestGotKeys(launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest())), server.Setup);
    }

    [Fact]
    public async Task Settings_change_with_an_unknown_field_keeps_the_last_good_settings()
    {
        await using var server = await ProxyServer.StartAsync();
        var settings = server.App.Services.GetRequiredService<ServerSettings>();
        var configuration = (IConfigurationRoot)server.App.Configuration;
        configuration["GuestOwnerProxy:BundleEncoding:Csv"] = "Raw";
        configuration["GuestOwnerProxy:Sessions:MaxSesions"] = "1";
        try
        {
            configuration.Reload();
        }
        catch (AggregateException)
        {
            // IOptionsMonitor rebinds inside the change callback (see SettingsReloadTests); ServerSettings decides.
        }
        // The section, then where the key came from (the test's provider), then the field and the suggestion.
        Assert.StartsWith("invalid settings: GuestOwnerProxy:Sessions", settings.Rejection);
        Assert.EndsWith(": unknown field \"MaxSesions\": did you mean 'MaxSessions'?", settings.Rejection);
        // Not even the valid half of the change is taken: CSV bundles stay base64 text.
        Assert.Equal(BundleEncoding.Base64, settings.Current.BundleEncoding.Csv);
        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Csv(), [server.Setup.OvmfBytes]);
        Assert.Single(launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest())));
    }

}
