using Microsoft.Extensions.Time.Testing;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Protocol.Setup;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Hosting;
using GuestOwnerProxy.Server.Sessions;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace GuestOwnerProxy.Server.Tests.Infrastructure;

/// <summary>What a test wants from its server: files, settings, clock.</summary>
public sealed class ServerSetup
{
    public const string Key1 = "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=";

    public ServerSetup()
        // A small fake firmware image: the server digests it, the simulated firmware is fed the same bytes.
        : this(RandomNumberGenerator.GetBytes(8192), Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))
    {
    }

    private ServerSetup(byte[] ovmf, string key2)
    {
        Directory = new TempDirectory();
        OvmfBytes = ovmf;
        OvmfPath = Directory.Write("images/ovmf.fd", OvmfBytes);
        Key2 = key2;
        KeysJson = $$"""{ "key_id1": "{{Key1}}", "key_id2": "{{Key2}}", "unused": "AAAA" }""";
        KeysetsJson = DefaultKeysets;
    }

    /// <summary>A second replica of the same deployment: the same image, keys, keysets and settings, in a directory
    /// (and audit log) of its own.</summary>
    public ServerSetup Replica()
    {
        var replica = new ServerSetup(OvmfBytes, Key2) { KeysetsJson = KeysetsJson, KeysJson = KeysJson, TrustTestRoots = TrustTestRoots };
        foreach (var (key, value) in Settings)
            replica.Settings[key] = value;
        return replica;
    }

    public TempDirectory Directory { get; }
    public byte[] OvmfBytes { get; }
    public string OvmfPath { get; }
    public string Key2 { get; }
    public string KeysetsJson { get; set; }
    public string KeysJson { get; set; }
    public Dictionary<string, string?> Settings { get; } = new();
    public FakeTimeProvider Time { get; } = new();
    public bool TrustTestRoots { get; set; } = true;
    public Action<IServiceCollection>? Services { get; set; }

    public const string DefaultKeysets = """
        {
          "KEYSET-1": {
            "allowed_images": [ { "name": "test-ovmf", "ovmf": "images/ovmf.fd" } ],
            "allowed_keys": ["key_id1", "key_id2"],
            "allowed-policies": [0],
            "min-api-major": 0,
            "min-api-minor": 0,
            "allowed-build-ids": [15, 1600]
          },
          "KEYSET-STRICT": {
            "allowed_images": [ { "name": "test-ovmf", "ovmf": "images/ovmf.fd" } ],
            "allowed_keys": ["key_id1"],
            "allowed-policies": [0, 1],
            "min-api-major": 1,
            "min-api-minor": 2,
            "allowed-build-ids": [1600]
          }
        }
        """;
}

/// <summary>The real server (Kestrel on 127.0.0.1, ephemeral port) with a real h2c gRPC channel.</summary>
public sealed class ProxyServer : IAsyncDisposable
{
    private ProxyServer(ServerSetup setup, WebApplication app, CapturingSink logs, string address)
    {
        Setup = setup;
        App = app;
        Logs = logs;
        Address = address;
        Channel = GrpcChannel.ForAddress(address);
        Client = new Protocol.Setup.Setup.SetupClient(Channel);
    }

    public ServerSetup Setup { get; }
    public WebApplication App { get; }
    public CapturingSink Logs { get; }
    public string Address { get; }
    public GrpcChannel Channel { get; }
    public Protocol.Setup.Setup.SetupClient Client { get; }
    public string AuditPath => Setup.Directory.File("audit/audit.jsonl");
    public FakeTimeProvider Time => Setup.Time;
    public BrokerConfigurationStore ConfigurationStore => App.Services.GetRequiredService<BrokerConfigurationStore>();
    public ISessionStore Sessions => App.Services.GetRequiredService<ISessionStore>();

    public static async Task<ProxyServer> StartAsync(ServerSetup? setup = null)
    {
        setup ??= new ServerSetup();
        var dir = setup.Directory;
        var settings = new Dictionary<string, string?>
        {
            ["GuestOwnerProxy:Urls:0"] = "http://127.0.0.1:0",
            // Tests run servers in parallel: the metrics listener (a fixed port) only where a test asks for it.
            ["GuestOwnerProxy:Metrics:Port"] = "0",
            ["GuestOwnerProxy:KeysetsFile"] = dir.Write("keysets.json", setup.KeysetsJson),
            ["GuestOwnerProxy:KeysFile"] = dir.Write("keys.json", setup.KeysJson),
            ["GuestOwnerProxy:AuditLog"] = dir.File("audit/audit.jsonl"),
            ["GuestOwnerProxy:ReloadInterval"] = "00:00:00.100",
            // Tests drive hundreds of launches from one address; the limits have tests of their own (ClientLimitTests).
            ["GuestOwnerProxy:RateLimit:PermitsPerSecond"] = "0",
            ["GuestOwnerProxy:Sessions:MaxPerClient"] = "100000",
        };
        if (setup.TrustTestRoots)
        {
            TestPlatforms.Csv().WriteTrustFiles(dir.File("trust/csv"));
            TestPlatforms.Sev.WriteTrustFiles(dir.File("trust/sev"));
            settings["GuestOwnerProxy:Trust:RootFiles:0"] = dir.File("trust/csv/hrk.cert");
            settings["GuestOwnerProxy:Trust:RootFiles:1"] = dir.File("trust/sev/ark.cert");
            settings["GuestOwnerProxy:Trust:IntermediateFiles:0"] = dir.File("trust/csv/hsk_cek.cert");
            settings["GuestOwnerProxy:Trust:IntermediateFiles:1"] = dir.File("trust/sev/ask.cert");
            settings["GuestOwnerProxy:Trust:ExtraRootFingerprints:0"] = TestPlatforms.Csv().RootFingerprint;
            settings["GuestOwnerProxy:Trust:ExtraRootFingerprints:1"] = TestPlatforms.Sev.RootFingerprint;
        }
        foreach (var (key, value) in setup.Settings)
            settings[key] = value;

        var logs = new CapturingSink();
        var app = ServerHost.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddSingleton<TimeProvider>(setup.Time);
            builder.Services.AddSingleton<ILogEventSink>(logs);
            setup.Services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        var metricsPort = settings["GuestOwnerProxy:Metrics:Port"];
        var address = app.Urls.Single(url => metricsPort == "0" || !url.EndsWith($":{metricsPort}", StringComparison.Ordinal));
        return new ProxyServer(setup, app, logs, address);
    }

    public IReadOnlyList<string> AuditLines() =>
        File.Exists(AuditPath)
            ? ReadShared(AuditPath).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            : [];

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Setup.Directory.Dispose();
    }
}
