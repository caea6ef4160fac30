using System.Security.Cryptography;
using System.Text.Json;
using GuestOwnerProxy.Platform;
using GuestOwnerProxy.Server.Hosting;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Sessions.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuestOwnerProxy.LoadTest;

/// <summary>
/// The real server (<see cref="ServerHost.Build"/>: Kestrel, gRPC, audit log, hot reload) on
/// 127.0.0.1 with an ephemeral port, in the Production environment: only the built-in vendor pins
/// plus, explicitly, the development simulator roots from config/dev. Its keyset allows one image and
/// releases two random keys, which the launches must find in the guest.
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private const string ImageName = "load-image";

    private InProcessServer(WebApplication app, string directory, string address, LaunchExpectation expectation, IReadOnlyList<string> rootFingerprints)
    {
        App = app;
        Directory = directory;
        Address = address;
        Expectation = expectation;
        RootFingerprints = rootFingerprints;
    }

    public WebApplication App { get; }
    public string Directory { get; }
    public string Address { get; }
    public LaunchExpectation Expectation { get; }
    public IReadOnlyList<string> RootFingerprints { get; }
    public ValueTask<int> LiveSessionsAsync() => App.Services.GetRequiredService<ISessionStore>().CountAsync();

    /// <summary>Redis commands the session store sent so far; null with the memory store.</summary>
    public long? StoreOperations => App.Services.GetRequiredService<ISessionStore>() is RedisSessionStore redis ? redis.Operations : null;

    public static async Task<InProcessServer> StartAsync(LoadTestOptions options)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("gop-loadtest-").FullName;
        try
        {
            string dev = Path.Combine(options.RepositoryRoot, "config", "dev");
            string hrk = Path.Combine(dev, "csv", "hrk.cert");
            string ark = Path.Combine(dev, "sev", "ark.cert");
            string[] fingerprints = [Fingerprint(hrk), Fingerprint(ark)];

            byte[] image = options.OvmfFile is { } ovmf ? File.ReadAllBytes(ovmf) : RandomNumberGenerator.GetBytes(options.ImageSize);
            string imagePath = Path.Combine(dir, "ovmf.fd");
            File.WriteAllBytes(imagePath, image);

            var keys = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["load_key1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["load_key2"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            };
            string keysPath = Path.Combine(dir, "keys.json");
            WritePrivate(keysPath, JsonSerializer.Serialize(keys));

            var keyset = new Dictionary<string, object>
            {
                ["allowed_images"] = new[] { new Dictionary<string, object> { ["name"] = ImageName, ["ovmf"] = imagePath } },
                ["allowed_keys"] = keys.Keys.ToArray(),
                ["allowed-policies"] = new[] { 0 },
                ["min-api-major"] = 0,
                ["min-api-minor"] = 0,
                ["allowed-build-ids"] = new[] { FirmwareVersion.SevDefault.BuildId, FirmwareVersion.CsvDefault.BuildId },
            };
            string keysetsPath = Path.Combine(dir, "keysets.json");
            File.WriteAllText(keysetsPath, JsonSerializer.Serialize(new Dictionary<string, object> { [options.Keyset] = keyset }));

            var settings = new Dictionary<string, string?>
            {
                ["GuestOwnerProxy:Urls:0"] = "http://127.0.0.1:0",
                ["GuestOwnerProxy:Metrics:Port"] = "0",
                ["GuestOwnerProxy:KeysetsFile"] = keysetsPath,
                ["GuestOwnerProxy:KeysFile"] = keysPath,
                ["GuestOwnerProxy:AuditLog"] = Path.Combine(dir, "audit.jsonl"),
                // The load client is one host on purpose: measure the broker, not the per-client limits.
                ["GuestOwnerProxy:RateLimit:PermitsPerSecond"] = "0",
                ["GuestOwnerProxy:Sessions:MaxPerClient"] = "1000000",
                ["GuestOwnerProxy:Trust:RootFiles:0"] = hrk,
                ["GuestOwnerProxy:Trust:RootFiles:1"] = ark,
                ["GuestOwnerProxy:Trust:IntermediateFiles:0"] = Path.Combine(dev, "csv", "hsk_cek.cert"),
                ["GuestOwnerProxy:Trust:IntermediateFiles:1"] = Path.Combine(dev, "sev", "ask.cert"),
                ["GuestOwnerProxy:Trust:ExtraRootFingerprints:0"] = fingerprints[0],
                ["GuestOwnerProxy:Trust:ExtraRootFingerprints:1"] = fingerprints[1],
                ["Serilog:MinimumLevel:Default"] = options.ServerLogLevel,
            };
            if (options.Store == "redis")
            {
                string sealingKey = Path.Combine(dir, "sealing.key");
                SealingKey.Create(sealingKey);
                settings["GuestOwnerProxy:Sessions:Store"] = "redis";
                settings["GuestOwnerProxy:Sessions:Redis:Configuration"] = options.Redis;
                settings["GuestOwnerProxy:Sessions:Redis:KeyPrefix"] = $"load{Guid.NewGuid():N}:";
                settings["GuestOwnerProxy:Sessions:Redis:SealingKeyFiles:0"] = sealingKey;
            }

            // The environment is explicit: a developer's ASPNETCORE_ENVIRONMENT=Development would trust more.
            var app = ServerHost.Build(["--environment", "Production"],
                builder => builder.Configuration.AddInMemoryCollection(settings));
            await app.StartAsync();
            string address = app.Urls.Single();
            return new InProcessServer(app, dir, address, new LaunchExpectation(options.Keyset, keys), fingerprints);
        }
        catch
        {
            TryDelete(dir);
            throw;
        }
    }

    private static string Fingerprint(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"development trust file '{path}' is missing (see config/README.md)", path);
        return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();
    }

    private static void WritePrivate(string path, string text)
    {
        // keys.json readable by others is warned about at start-up; create it owner-only.
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, fileOptions);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    private static void TryDelete(string dir)
    {
        try { System.IO.Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        TryDelete(Directory);
    }
}
