using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
    private readonly IOptionsMonitor<GuestOwnerProxyOptions> _options;
    private readonly BrokerConfigurationLoader _loader;
    private readonly ILogger<BrokerConfigurationStore> _logger;
    private readonly Lock _reloadLock = new();
    private volatile BrokerConfiguration? _current;
    private string? _loadedFingerprint;
    private string? _failedFingerprint;

    public BrokerConfigurationStore(IOptionsMonitor<GuestOwnerProxyOptions> options, ILogger<BrokerConfigurationStore> logger)
    {
        _options = options;
        _logger = logger;
        _loader = new BrokerConfigurationLoader();
    }

    public BrokerConfiguration Current =>
        _current ?? throw new InvalidOperationException("configuration not loaded: call Initialize at start-up");

    /// <summary>Number of reloads rejected since start (for tests and health).</summary>
    public int RejectedReloads { get; private set; }

    public void Initialize()
    {
        lock (_reloadLock)
        {
            if (_current is not null)
                return;
            var options = _options.CurrentValue;
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
            var options = _options.CurrentValue;
            var fingerprint = Fingerprint(options);
            if (!force && (fingerprint == _loadedFingerprint || fingerprint == _failedFingerprint))
                return false;
            try
            {
                var result = _loader.Load(options);
                Publish(result, fingerprint, initial: false);
                _failedFingerprint = null;
                return true;
            }
            catch (ConfigurationException ex)
            {
                // Remember the broken state so the same error is logged once, not on every poll.
                _failedFingerprint = fingerprint;
                RejectedReloads++;
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
            _logger.LogInformation("Image {Image} ({Platform}, kernel hashes {KernelHashes}): launch digest {Digest}",
                image.Name, image.Platform, image.KernelHashes, Convert.ToHexStringLower(image.Digest));

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

    /// <summary>Settings plus size and time stamp of every file a load reads.</summary>
    internal static string Fingerprint(GuestOwnerProxyOptions options)
    {
        var text = new StringBuilder();
        text.Append(JsonSerializer.Serialize(new
        {
            options.KeysetsFile, options.KeysFile, options.Unsafe,
            options.Trust.RootFiles, options.Trust.ExtraRootFingerprints, options.Trust.IntermediateDirectories,
            options.Trust.IntermediateFiles, options.Trust.SkipVerification,
        }));
        void Add(string path) => text.Append('|').Append(path).Append('@').Append(ImageDigestCache.FileStamp(path));
        Add(options.KeysetsFile);
        Add(options.KeysFile);
        foreach (var f in options.Trust.RootFiles) Add(f);
        foreach (var f in options.Trust.IntermediateFiles) Add(f);
        foreach (var d in options.Trust.IntermediateDirectories)
            foreach (var f in TrustLoader.FilesIn(d)) Add(f);
        foreach (var image in ImageFilesOf(options.KeysetsFile)) Add(image);
        return text.ToString();
    }

    // Image files named in the keysets file as it is now (best effort: a broken file simply lists none).
    private static IEnumerable<string> ImageFilesOf(string keysetsFile)
    {
        try
        {
            var errors = new List<ConfigurationError>();
            var definitions = KeysetFileParser.Parse(keysetsFile, File.ReadAllText(keysetsFile), errors, []);
            return definitions.SelectMany(d => d.AllowedImages).SelectMany(i => i.Files()).Distinct().ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
