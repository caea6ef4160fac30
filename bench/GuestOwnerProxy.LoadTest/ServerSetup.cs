using System.Security.Cryptography;
using System.Text.Json;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.LoadTest;

/// <summary>
/// The files and settings of the server under load, in one place for both ways of running it: the in-process
/// server (<see cref="InProcessServer"/>) and a separate <c>gop serve</c> (<c>prepare-server DIR</c>, which
/// bench/compare.sh and the tests use). A keyset that allows one image (random, or the given OVMF; the server
/// digests it at load) and releases two random keys; the development simulator roots trusted on top of the
/// built-in vendor pins (the Production environment trusts nothing else); the per-client limits lifted, because
/// the load client is one host on purpose. Everything else stays the server's production default.
/// </summary>
public sealed class ServerSetup
{
    public const string ImageName = "load-image";
    public const string ImageFile = "ovmf.fd";
    public const string KeysFile = "keys.json";
    public const string KeysetsFile = "keysets.json";
    public const string AuditFile = "audit.jsonl";
    /// <summary><c>prepare-server</c> writes the server's settings here, one <c>--Section:Key=value</c> argument per line.</summary>
    public const string ArgumentsFile = "serve.args";

    private ServerSetup(string directory, IReadOnlyDictionary<string, string?> settings, LaunchExpectation expectation, IReadOnlyList<string> rootFingerprints)
    {
        Directory = directory;
        Settings = settings;
        Expectation = expectation;
        RootFingerprints = rootFingerprints;
    }

    public string Directory { get; }

    /// <summary>The server's settings (configuration keys), listener excepted: each way of running it picks its own.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    public LaunchExpectation Expectation { get; }
    public IReadOnlyList<string> RootFingerprints { get; }
    public string ImagePath => Path.Combine(Directory, ImageFile);

    /// <summary>The settings that differ from the production defaults, said in every report.</summary>
    public static readonly IReadOnlyList<string> DeparturesFromDefaults =
    [
        "RateLimit:PermitsPerSecond=0 (one load client is one host)",
        "Sessions:MaxPerClient=1000000 (same reason)",
        "Trust: the development simulator roots and intermediates from config/dev on top of the vendor pins",
    ];

    /// <summary>Writes the image, keysets.json and keys.json (owner-only) into <paramref name="directory"/>, which must exist.</summary>
    public static ServerSetup Write(string directory, string repositoryRoot, string keysetId, string? ovmfFile, int imageSize)
    {
        string dev = Path.Combine(repositoryRoot, "config", "dev");
        string hrk = Path.Combine(dev, "csv", "hrk.cert");
        string ark = Path.Combine(dev, "sev", "ark.cert");
        string[] fingerprints = [Fingerprint(hrk), Fingerprint(ark)];

        string imagePath = Path.Combine(directory, ImageFile);
        if (ovmfFile is not null)
            File.Copy(ovmfFile, imagePath, overwrite: false);
        else
            File.WriteAllBytes(imagePath, RandomNumberGenerator.GetBytes(imageSize));

        var keys = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["load_key1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["load_key2"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        string keysPath = Path.Combine(directory, KeysFile);
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
        string keysetsPath = Path.Combine(directory, KeysetsFile);
        File.WriteAllText(keysetsPath, JsonSerializer.Serialize(new Dictionary<string, object> { [keysetId] = keyset }));

        var settings = new Dictionary<string, string?>
        {
            ["GuestOwnerProxy:KeysetsFile"] = keysetsPath,
            ["GuestOwnerProxy:KeysFile"] = keysPath,
            ["GuestOwnerProxy:AuditLog"] = Path.Combine(directory, AuditFile),
            // The load client is one host on purpose: measure the broker, not the per-client limits.
            ["GuestOwnerProxy:RateLimit:PermitsPerSecond"] = "0",
            ["GuestOwnerProxy:Sessions:MaxPerClient"] = "1000000",
            ["GuestOwnerProxy:Trust:RootFiles:0"] = hrk,
            ["GuestOwnerProxy:Trust:RootFiles:1"] = ark,
            ["GuestOwnerProxy:Trust:IntermediateFiles:0"] = Path.Combine(dev, "csv", "hsk_cek.cert"),
            ["GuestOwnerProxy:Trust:IntermediateFiles:1"] = Path.Combine(dev, "sev", "ask.cert"),
            ["GuestOwnerProxy:Trust:ExtraRootFingerprints:0"] = fingerprints[0],
            ["GuestOwnerProxy:Trust:ExtraRootFingerprints:1"] = fingerprints[1],
        };
        return new ServerSetup(directory, settings, new LaunchExpectation(keysetId, keys), fingerprints);
    }

    /// <summary>
    /// The simulated hosts' <c>pdh.cert</c> and <c>cert_chain.cert</c> (development seed, the platforms the load test
    /// launches on) in <c>sev/</c> and <c>csv/</c>, for clients run beside the load test (<c>gop client GetBundle -k -t</c>,
    /// the original gop-client.py): bench/compare.sh times them against the same server.
    /// </summary>
    public void WritePlatformFiles()
    {
        foreach (var kind in new[] { PlatformKind.Sev, PlatformKind.Csv })
        {
            var platform = SoftwarePlatform.Create(kind, new SoftwarePlatformOptions { Seed = SoftwarePlatformSeeds.DevelopmentSeed });
            string folder = Path.Combine(Directory, kind.ToString().ToLowerInvariant());
            System.IO.Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, "pdh.cert"), platform.PdhCertificate);
            File.WriteAllBytes(Path.Combine(folder, "cert_chain.cert"), platform.CertificateChain);
        }
    }

    /// <summary><c>prepare-server</c>: the files, and <see cref="ArgumentsFile"/> for <c>gop serve $(cat serve.args)</c>.</summary>
    public void WriteArguments()
    {
        var lines = Settings.Select(s => $"--{s.Key}={s.Value}");
        File.WriteAllLines(Path.Combine(Directory, ArgumentsFile), lines);
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
}
