using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>What a successful load produced, plus warnings for the log and the computed image digests for operators.</summary>
public sealed record ConfigurationLoadResult(
    BrokerConfiguration Configuration,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<ImageDigest> ImageDigests);

/// <summary>
/// Loads and validates keysets.json, keys.json, the trust files and the images completely, or
/// throws <see cref="ConfigurationException"/> listing every problem. Used at start-up (a failure
/// stops the start), on reload (a failure keeps the last good version) and by <c>check-config</c>.
/// </summary>
public sealed class BrokerConfigurationLoader
{
    /// <summary>Size of the OVMF secret area in current AmdSev builds; used when the firmware is not known.</summary>
    public const int DefaultSecretAreaSize = SecretTable.DefaultAreaSize;

    private readonly ImageDigestCache _images;
    private long _version;

    public BrokerConfigurationLoader(ImageDigestCache? images = null) => _images = images ?? new ImageDigestCache();

    public ConfigurationLoadResult Load(GuestOwnerProxyOptions options)
    {
        var errors = new List<ConfigurationError>();
        var warnings = new List<string>();

        var keysetsText = ReadFile(options.KeysetsFile, "keysets file (-c/--config)", errors);
        var keysText = ReadFile(options.KeysFile, "keys file (-k/--keyfile)", errors);
        var definitions = keysetsText is null ? [] : KeysetFileParser.Parse(options.KeysetsFile, keysetsText, errors, warnings);
        var keys = keysText is null ? new Dictionary<string, string>() : KeysFileParser.Parse(options.KeysFile, keysText, errors);
        if (keysText is not null)
            WarnIfReadableByOthers(options.KeysFile, warnings);

        var trust = TrustLoader.Load(options.Trust, errors);

        var keysets = new Dictionary<string, Keyset>(StringComparer.Ordinal);
        var computed = new List<ImageDigest>();
        var live = new List<(ImageDefinition, PlatformKind)>();
        foreach (var definition in definitions)
        {
            int before = errors.Count;
            CheckKeys(options.KeysFile, definition, keys, errors);
            if (definition.AllowedDigests.Count == 0 && definition.AllowedImages.Count == 0)
            {
                if (options.Unsafe)
                    warnings.Add($"{options.KeysetsFile}: keyset '{definition.Id}' has no allowed_digests/allowed_images; accepted only because measurement checking is off (--unsafe)");
                else
                    errors.Add(new ConfigurationError(options.KeysetsFile, definition.Id, KeysetFileParser.AllowedDigests,
                        $"a keyset needs {KeysetFileParser.AllowedDigests} or {KeysetFileParser.AllowedImages} (or the server must run with --unsafe)"));
            }

            var digests = new Dictionary<PlatformKind, IReadOnlyList<ExpectedDigest>>();
            foreach (var platform in new[] { PlatformKind.Csv, PlatformKind.Sev })
            {
                if (!definition.AppliesTo(platform))
                    continue;
                var list = definition.AllowedDigests.Select(d => new ExpectedDigest(d, null)).ToList();
                for (int i = 0; i < definition.AllowedImages.Count; i++)
                {
                    var image = definition.AllowedImages[i];
                    if (!CheckImageFiles(options.KeysetsFile, definition.Id, i, image, errors))
                        continue;
                    try
                    {
                        var imageDigests = _images.Get(image, platform);
                        live.Add((image, platform));
                        computed.AddRange(imageDigests);
                        list.AddRange(imageDigests.Select(d =>
                            new ExpectedDigest(new DigestCandidate(d.CandidateName, d.Digest), d.SecretAreaSize, d.IsEs)));
                    }
                    catch (CryptoFormatException ex)
                    {
                        // A keyset for either platform digests each image twice; one unreadable file is one error.
                        var error = new ConfigurationError(options.KeysetsFile, definition.Id,
                            $"{KeysetFileParser.AllowedImages}[{i}] ('{image.Name}')", ex.Message);
                        if (!errors.Contains(error))
                            errors.Add(error);
                    }
                }
                digests[platform] = list;
            }

            if (errors.Count == before)
            {
                CheckSecretFits(options.KeysetsFile, definition, keys, digests, errors);
                WarnIfBuildNotAuthenticated(options.KeysetsFile, definition, warnings);
                WarnAboutEsImages(options.KeysetsFile, definition, warnings);
                keysets[definition.Id] = new Keyset(definition, digests);
            }
        }

        if (errors.Count > 0)
            throw new ConfigurationException(errors);

        _images.Retain(live);
        var configuration = new BrokerConfiguration(Interlocked.Increment(ref _version), keysets, keys, trust, options.Unsafe);
        return new ConfigurationLoadResult(configuration, warnings, computed);
    }

    /// <summary>
    /// Every file an image names must be a regular file, whether or not it is measured (a kernel with
    /// <c>kernel_hashes: false</c> is still what the VM boots; a wrong path is a typo to report). FIFOs and
    /// devices are refused before anything opens them: opening a FIFO blocks until a writer appears.
    /// One error per file, even though a keyset for either platform visits each image twice.
    /// </summary>
    private static bool CheckImageFiles(string keysetsFile, string keyset, int index, ImageDefinition image, List<ConfigurationError> errors)
    {
        bool ok = true;
        foreach (var (role, path) in image.NamedFiles())
        {
            if (FileKind.Problem(path) is not { } problem)
                continue;
            ok = false;
            var error = new ConfigurationError(keysetsFile, keyset, $"{KeysetFileParser.AllowedImages}[{index}] ('{image.Name}').{role}", problem);
            if (!errors.Contains(error))
                errors.Add(error);
        }
        return ok;
    }

    private static void CheckKeys(string keysFile, KeysetDefinition definition, IReadOnlyDictionary<string, string> keys, List<ConfigurationError> errors)
    {
        foreach (var keyId in definition.AllowedKeys)
        {
            // The original skipped unknown ids silently and could send a guest "{}".
            if (!keys.ContainsKey(keyId))
                errors.Add(new ConfigurationError(keysFile, definition.Id, KeysetFileParser.AllowedKeys,
                    $"key id '{keyId}' is not defined in {keysFile}"));
        }
    }

    private static void CheckSecretFits(
        string keysetsFile, KeysetDefinition definition, IReadOnlyDictionary<string, string> keys,
        Dictionary<PlatformKind, IReadOnlyList<ExpectedDigest>> digests, List<ConfigurationError> errors)
    {
        int payload = KeyBundlePayload.Length(definition.AllowedKeys, keys);
        int table = SecretTable.PaddedLengthFor([payload]);
        uint area = digests.Values.SelectMany(d => d)
            .Select(d => d.SecretAreaSize ?? DefaultSecretAreaSize)
            .DefaultIfEmpty((uint)DefaultSecretAreaSize)
            .Min();
        if (table > area)
            errors.Add(new ConfigurationError(keysetsFile, definition.Id, KeysetFileParser.AllowedKeys,
                $"the secret table for these keys needs {table} bytes but the firmware secret area holds {area}"));
    }

    private static void WarnIfBuildNotAuthenticated(string keysetsFile, KeysetDefinition definition, List<string> warnings)
    {
        foreach (var formula in definition.UnauthenticatedBuildFormulas())
            warnings.Add($"{keysetsFile}: keyset '{definition.Id}': its build restriction ({KeysetFileParser.AllowedBuildIds}/{KeysetFileParser.MinBuildId}) " +
                $"is NOT authenticated when a measurement matches {MeasurementFormulas.Name(formula)} (listed in {KeysetFileParser.MeasurementVariants}), " +
                "which does not cover the firmware build id: the host's claim is taken as is, and such releases are audited with build_id_verified: false");
    }

    /// <summary>
    /// An ES image no allowed policy can launch (none has the ES bit) is dead configuration; a CSV2 digest rests on
    /// an unconfirmed construction (SM3 over the same pages; no public CSV2 launch to check it against).
    /// </summary>
    private static void WarnAboutEsImages(string keysetsFile, KeysetDefinition definition, List<string> warnings)
    {
        var esImages = definition.AllowedImages.Where(i => i.Es is not null).ToList();
        if (esImages.Count == 0)
            return;
        if (!definition.AllowedPolicies.Any(GuestPolicyBits.IsEs))
            warnings.Add($"{keysetsFile}: keyset '{definition.Id}': SEV-ES/CSV2 image(s) {string.Join(", ", esImages.Select(i => $"'{i.Name}'"))} " +
                $"can never match: no policy in {KeysetFileParser.AllowedPolicies} has the ES bit (0x{GuestPolicyBits.Es:x})");
        if (definition.AppliesTo(PlatformKind.Csv))
            warnings.Add($"{keysetsFile}: keyset '{definition.Id}': the CSV2 launch digest of its SEV-ES/CSV2 image(s) " +
                $"({EsDigestSchemes.Name(EsDigestSchemes.For(PlatformKind.Csv))}: SM3 over OVMF, kernel hashes and the VMSA pages) is UNCONFIRMED: " +
                "no real CSV2 launch has been checked against it yet");
    }

    private static string? ReadFile(string path, string role, List<ConfigurationError> errors)
    {
        if (FileKind.Of(path) is not (FileKindResult.Regular or FileKindResult.Missing))
        {
            errors.Add(new ConfigurationError(path, null, null, $"cannot read {role}: {FileKind.Problem(path)}"));
            return null;
        }
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(new ConfigurationError(path, null, null, $"cannot read {role}: {ex.Message}"));
            return null;
        }
    }

    private static void WarnIfReadableByOthers(string path, List<string> warnings)
    {
        if (OperatingSystem.IsWindows())
            return;
        try
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                warnings.Add($"{path}: key file is accessible by group/others (mode {Convert.ToString((int)mode, 8)}); restrict it to the proxy's user (chmod 600)");
        }
        catch (IOException)
        {
        }
    }
}
