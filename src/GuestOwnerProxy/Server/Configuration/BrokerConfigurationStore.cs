using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>The configuration version requests are served with.</summary>
public interface IBrokerConfigurationSource
{
    BrokerConfiguration Current { get; }
}

/// <summary>
/// Holds the last good configuration. <see cref="Initialize"/> loads it at start-up and throws on any
/// error (the start stops); <see cref="ReloadIfChanged"/> picks up edits and keeps the last good
/// version, with a logged error, when the new one does not validate.
/// </summary>
public sealed class BrokerConfigurationStore : IBrokerConfigurationSource
{
    // Operator files up to this size are hashed for change detection; larger ones (images) use size and time stamp.
    private const long MaxHashedFileSize = 1024 * 1024;

    private readonly ServerSettings _options;
    private readonly BrokerConfigurationLoader _loader;
    private readonly ILogger<BrokerConfigurationStore> _logger;
    private readonly Lock _reloadLock = new();
    private volatile BrokerConfiguration? _current;
    private string? _loadedFingerprint;
    private string? _failedFingerprint;
    // The image files keysets.json names, for the keysets.json content they were parsed from: every poll stamps
    // the images, but parses keysets.json only when its content changed.
    private string? _imageListStamp;
    private IReadOnlyList<string> _imageList = [];

    public BrokerConfigurationStore(ServerSettings options, ILogger<BrokerConfigurationStore> logger)
    {
        _options = options;
        _logger = logger;
        _loader = new BrokerConfigurationLoader();
    }

    public BrokerConfiguration Current =>
        _current ?? throw new InvalidOperationException("configuration not loaded: call Initialize at start-up");

    /// <summary>How often the change detection parsed keysets.json for its image files (tests: not on an unchanged file).</summary>
    internal int KeysetsFileParses { get; private set; }

    /// <summary>Number of reloads rejected since start (for tests, health and metrics). Each broken edit counts once.</summary>
    public int RejectedReloads { get; private set; }

    /// <summary>Number of changed configurations published by a reload since start (metrics; the start-up load is not one).</summary>
    public int AcceptedReloads { get; private set; }

    /// <summary>Why the files as they are now were rejected; null while what is on disk is what serves.</summary>
    public string? LastRejection { get; private set; }

    public void Initialize()
    {
        lock (_reloadLock)
        {
            if (_current is not null)
                return;
            var options = _options.Current;
            var fingerprint = Fingerprint(options);
            var result = _loader.Load(options);
            Publish(result, fingerprint, initial: true);
        }
    }

    /// <summary>Reloads when any watched file or setting changed. Returns true when a new version was published.</summary>
    public bool ReloadIfChanged(bool force = false)
    {
        lock (_reloadLock)
        {
            var options = _options.Current;
            var fingerprint = Fingerprint(options);
            if (!force && fingerprint == _loadedFingerprint)
            {
                // An edit was rejected and then undone: what is on disk is what serves again.
                _failedFingerprint = null;
                LastRejection = null;
                return false;
            }
            if (!force && fingerprint == _failedFingerprint)
                return false;
            try
            {
                var result = _loader.Load(options);
                Publish(result, fingerprint, initial: false);
                AcceptedReloads++;
                _failedFingerprint = null;
                LastRejection = null;
                return true;
            }
            catch (ConfigurationException ex)
            {
                // Remember the broken state so the same error is logged once, not on every poll.
                _failedFingerprint = fingerprint;
                RejectedReloads++;
                LastRejection = ex.Message;
                _logger.LogError("Configuration change rejected, still serving version {Version}: {Errors}",
                    _current?.Version, ex.Message);
                return false;
            }
        }
    }

    private void Publish(ConfigurationLoadResult result, string fingerprint, bool initial)
    {
        foreach (var warning in result.Warnings)
            _logger.LogWarning("Configuration: {Warning}", warning);
        foreach (var image in result.ImageDigests)
            _logger.LogInformation("Image {Image} ({Platform}, kernel hashes {KernelHashes}{Es}): launch digest {Digest}",
                image.Name, image.Platform, image.KernelHashes,
                image.Es is { } es ? $", SEV-ES {image.Vcpus} vCPU(s), {es}" : "", Convert.ToHexStringLower(image.Digest));

        var configuration = result.Configuration;
        var trust = configuration.Trust;
        var previous = _current;
        if (previous is null || !previous.Trust.ExtraRootFingerprints.SequenceEqual(trust.ExtraRootFingerprints))
        {
            foreach (var root in trust.ExtraRootFingerprints)
                _logger.LogWarning("Trust: extra root {Fingerprint} is accepted in addition to the pinned vendor roots", root);
        }
        if (trust.SkipVerification)
            _logger.LogCritical("Trust: certificate chain verification is SWITCHED OFF (GuestOwnerProxy:Trust:SkipVerification); any host can obtain secrets");
        if (configuration.Unsafe)
            _logger.LogCritical("UNSAFE MODE (-u/--unsafe): launch measurements are NOT verified; any guest image receives the keys");

        _current = configuration;
        _loadedFingerprint = fingerprint;
        _logger.LogInformation(
            "Configuration version {Version} {Action}: {KeysetCount} keysets ({Keysets}), {KeyCount} keys, {RootCount} root files, {IntermediateCount} intermediates",
            configuration.Version, initial ? "loaded" : "reloaded", configuration.Keysets.Count,
            string.Join(", ", configuration.Keysets.Keys), configuration.KeyCount,
            trust.Trust.RootCertificates.Count, trust.IntermediateCount);
    }

    /// <summary>
    /// Settings plus the state of every file a load reads: the SHA-256 of keysets.json, keys.json and the trust
    /// files (small; an edit that keeps size and time stamp is still seen), size and time stamp of the images
    /// (large; hashing them every poll would cost more than the digest cache saves).
    /// </summary>
    private string Fingerprint(GuestOwnerProxyOptions options)
    {
        var text = new StringBuilder();
        text.Append(JsonSerializer.Serialize(new FingerprintedSettings(
            options.KeysetsFile, options.KeysFile, options.Unsafe,
            options.Trust.RootFiles, options.Trust.ExtraRootFingerprints, options.Trust.IntermediateDirectories,
            options.Trust.IntermediateFiles, options.Trust.SkipVerification), FingerprintJson.Default.FingerprintedSettings));
        void Add(string path, string stamp) => text.Append('|').Append(path).Append('#').Append(stamp);
        var keysetsStamp = ContentStamp(options.KeysetsFile);
        Add(options.KeysetsFile, keysetsStamp);
        Add(options.KeysFile, ContentStamp(options.KeysFile));
        foreach (var f in options.Trust.RootFiles) Add(f, ContentStamp(f));
        foreach (var f in options.Trust.IntermediateFiles) Add(f, ContentStamp(f));
        foreach (var d in options.Trust.IntermediateDirectories)
            foreach (var f in TrustLoader.FilesIn(d)) Add(f, ContentStamp(f));
        foreach (var image in ImageFilesOf(options.KeysetsFile, keysetsStamp))
            text.Append('|').Append(image).Append('@').Append(ImageDigestCache.FileStamp(image));
        return text.ToString();
    }

    // The hash never leaves this process (keys.json is among the hashed files) and is not logged.
    private static string ContentStamp(string path)
    {
        if (FileKind.Of(path) != FileKindResult.Regular)
            return ImageDigestCache.FileStamp(path);
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxHashedFileSize)
                return ImageDigestCache.FileStamp(path);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unreadable:" + ex.GetType().Name;
        }
    }

    // Image files named in the keysets file as it is now: parsed again only when its path or content stamp changed.
    private IReadOnlyList<string> ImageFilesOf(string keysetsFile, string keysetsStamp)
    {
        var stamp = keysetsFile + "#" + keysetsStamp;
        if (stamp != _imageListStamp)
        {
            _imageList = ParseImageFiles(keysetsFile);
            _imageListStamp = stamp;
            KeysetsFileParses++;
        }
        return _imageList;
    }

    // Best effort: a broken file simply lists none (the load reports what is wrong with it).
    private static IReadOnlyList<string> ParseImageFiles(string keysetsFile)
    {
        try
        {
            var errors = new List<ConfigurationError>();
            if (FileKind.Of(keysetsFile) != FileKindResult.Regular)
                return [];
            var definitions = KeysetFileParser.Parse(keysetsFile, File.ReadAllText(keysetsFile), errors, []);
            return definitions.SelectMany(d => d.AllowedImages).SelectMany(i => i.Files()).Distinct().ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}

/// <summary>The settings a configuration load reads, in the fingerprint (JSON: an unambiguous encoding of the lists).</summary>
internal sealed record FingerprintedSettings(
    string KeysetsFile, string KeysFile, bool Unsafe, List<string> RootFiles, List<string> ExtraRootFingerprints,
    List<string> IntermediateDirectories, List<string> IntermediateFiles, bool SkipVerification);

[JsonSerializable(typeof(FingerprintedSettings))]
internal sealed partial class FingerprintJson : JsonSerializerContext;
