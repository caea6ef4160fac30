using System.Text.Json;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// Reads keysets.json: the deployed fields (mixed underscore/hyphen spelling kept) and the optional
/// config.md extensions. Only syntax and field shapes are checked here; cross-file checks (key ids,
/// image files) belong to <see cref="BrokerConfigurationLoader"/>.
/// </summary>
public static class KeysetFileParser
{
    public const string AllowedDigests = "allowed_digests";
    public const string AllowedImages = "allowed_images";
    public const string AllowedKeys = "allowed_keys";
    public const string AllowedPolicies = "allowed-policies";
    public const string MinApiMajor = "min-api-major";
    public const string MinApiMinor = "min-api-minor";
    public const string AllowedBuildIds = "allowed-build-ids";
    public const string MinBuildId = "min-build-id";
    public const string Platform = "platform";
    public const string MeasurementVariants = "measurement-variants";
    public const string AllowedChips = "allowed-chips";
    public const string SecretGuid = "secret-guid";

    // The fields of one allowed_images entry.
    public const string ImageName = "name";
    public const string ImageOvmf = "ovmf";
    public const string ImageKernel = "kernel";
    public const string ImageInitrd = "initrd";
    public const string ImageCmdline = "cmdline";
    public const string ImageCmdlineFile = "cmdline_file";
    public const string ImageKernelHashes = "kernel_hashes";
    // SEV-ES / CSV2 images: the digest then covers one VMSA page per vCPU.
    public const string ImageEs = "es";
    public const string ImageVcpus = "vcpus";
    public const string ImageVcpuType = "vcpu-type";
    public const string ImageVcpuSig = "vcpu-sig";
    public const string ImageVcpuFamily = "vcpu-family";
    public const string ImageVcpuModel = "vcpu-model";
    public const string ImageVcpuStepping = "vcpu-stepping";
    public const string ImageVmsaLayout = "vmsa-layout";

    /// <summary>Every keyset field, in the order suggestions prefer on a tie. Any other field is an error: a typo must never switch a rule off.</summary>
    public static readonly IReadOnlyList<string> KnownFields =
    [
        AllowedDigests, AllowedImages, AllowedKeys, AllowedPolicies, MinApiMajor, MinApiMinor,
        AllowedBuildIds, MinBuildId, Platform, MeasurementVariants, AllowedChips, SecretGuid,
    ];

    public static readonly IReadOnlyList<string> KnownImageFields =
        [ImageName, ImageOvmf, ImageKernel, ImageInitrd, ImageCmdline, ImageCmdlineFile, ImageKernelHashes,
         ImageEs, ImageVcpus, ImageVcpuType, ImageVcpuSig, ImageVcpuFamily, ImageVcpuModel, ImageVcpuStepping, ImageVmsaLayout];

    /// <summary>The fields that only an ES image may have.</summary>
    private static readonly string[] EsOnlyFields =
        [ImageVcpus, ImageVcpuType, ImageVcpuSig, ImageVcpuFamily, ImageVcpuModel, ImageVcpuStepping, ImageVmsaLayout];

    public static IReadOnlyList<KeysetDefinition> Parse(
        string file, string text, List<ConfigurationError> errors, List<string> warnings)
    {
        using var document = OperatorJson.Parse(file, text, secret: false, errors);
        if (document is null)
            return [];
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ConfigurationError(file, null, null,
                $"top level must be an object of keysets, found {JsonFieldReader.Describe(document.RootElement)}"));
            return [];
        }
        if (!document.RootElement.EnumerateObject().Any())
            warnings.Add($"{file}: no keysets defined: every secret request will be refused (KEYSET INVALID)");

        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        var keysets = new List<KeysetDefinition>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name.Length == 0)
            {
                errors.Add(new ConfigurationError(file, null, null, "keyset id must not be empty"));
                continue;
            }
            if (!seen.Add(property.Name))
            {
                // Both would be parsed and the later one would silently replace the earlier.
                errors.Add(new ConfigurationError(file, property.Name, null, "keyset id is defined more than once (merge or rename them)"));
                continue;
            }
            if (property.Value.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new ConfigurationError(file, property.Name, null,
                    $"must be an object, found {JsonFieldReader.Describe(property.Value)}"));
                continue;
            }
            int before = errors.Count;
            var keyset = ParseKeyset(file, baseDirectory, property.Name, property.Value, errors, warnings);
            if (errors.Count == before && keyset is not null)
                keysets.Add(keyset);
        }
        return keysets;
    }

    private static KeysetDefinition? ParseKeyset(
        string file, string baseDirectory, string id, JsonElement element, List<ConfigurationError> errors, List<string> warnings)
    {
        var r = new JsonFieldReader(file, id, element, errors);
        r.RejectDuplicateFields();
        RejectUnknownFields(r, KnownFields);

        var digests = new List<DigestCandidate>();
        foreach (var (value, field) in r.StringArray(AllowedDigests) ?? [])
        {
            if (DigestText.TryDecode(value, out var digest, out var problem))
                digests.Add(new DigestCandidate(field, digest));
            else
                r.Error(field, problem);
        }

        var images = new List<ImageDefinition>();
        foreach (var (value, field) in r.Array(AllowedImages) ?? [])
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                r.Error(field, $"must be an object, found {JsonFieldReader.Describe(value)}");
                continue;
            }
            if (ParseImage(file, baseDirectory, id, field, value, errors, warnings) is { } image)
            {
                if (images.Any(i => i.Name == image.Name))
                    r.Error(field + ".name", $"duplicate image name '{image.Name}'");
                else
                    images.Add(image);
            }
        }

        var keys = r.StringArray(AllowedKeys, required: true);
        if (keys is { Count: 0 })
            r.Error(AllowedKeys, "is empty: the guest would receive no key");
        foreach (var (key, field) in keys ?? [])
        {
            if (key.Length == 0)
                r.Error(field, "key id must not be empty");
        }

        // Policies are u32 bits; accept the negative int32 spelling of the same bits as well.
        var policies = r.IntegerArray(AllowedPolicies, int.MinValue, uint.MaxValue, required: true);
        if (policies is { Count: 0 })
            r.Error(AllowedPolicies, "is empty: no launch could ever be accepted");

        var minMajor = r.Integer(MinApiMajor, 0, 255) ?? 0;
        var minMinor = r.Integer(MinApiMinor, 0, 255) ?? 0;

        var buildIds = r.IntegerArray(AllowedBuildIds, 0, uint.MaxValue);
        var minBuild = r.Integer(MinBuildId, 0, uint.MaxValue);
        if (buildIds is null && minBuild is null && !r.Has(AllowedBuildIds))
            r.Error(AllowedBuildIds, $"is required (or give {MinBuildId})");
        else if (buildIds is { Count: 0 } && minBuild is null)
            r.Error(AllowedBuildIds, $"is empty and no {MinBuildId} is given: no build could ever be accepted");

        PlatformKind? platform = null;
        if (r.String(Platform) is { } platformText)
        {
            if (PlatformNames.TryParse(platformText, out var parsed))
                platform = parsed;
            else
                r.Error(Platform, $"'{platformText}' is not a platform (expected \"{PlatformNames.Csv}\" or \"{PlatformNames.Sev}\")");
        }

        List<MeasurementFormula>? variants = null;
        if (r.StringArray(MeasurementVariants) is { } variantTexts)
        {
            variants = [];
            if (platform == PlatformKind.Sev)
                r.Error(MeasurementVariants, "applies to CSV keysets only (SEV has a single formula)");
            foreach (var (text, field) in variantTexts)
            {
                if (!MeasurementFormulas.TryParse(text, out var formula))
                    r.Error(field, $"unknown measurement formula '{text}' (known: {string.Join(", ", MeasurementFormulas.Names)})");
                else if (MeasurementFormulas.PlatformOf(formula) != PlatformKind.Csv)
                    r.Error(field, $"'{text}' is not a CSV formula");
                else if (!variants.Contains(formula))
                    variants.Add(formula);
            }
            if (variantTexts.Count == 0)
                r.Error(MeasurementVariants, "is empty: no measurement could ever match");
        }

        var chips = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (chip, field) in r.StringArray(AllowedChips) ?? [])
        {
            if (chip.Length == 0)
                r.Error(field, "must not be empty");
            else
                chips.Add(chip.Trim().ToLowerInvariant());
        }

        var secretGuid = KnownGuids.KeysetBundle;
        if (r.String(SecretGuid) is { } guidText)
        {
            if (!Guid.TryParse(guidText, out secretGuid))
                r.Error(SecretGuid, $"'{guidText}' is not a GUID");
            else if (secretGuid == Guid.Empty)
                r.Error(SecretGuid, "is the nil GUID, which marks an unused secret table entry: the guest would never see the keys");
        }

        if (keys is null || policies is null)
            return null;

        return new KeysetDefinition
        {
            Id = id,
            AllowedDigests = digests,
            AllowedImages = images,
            AllowedKeys = keys.Select(k => k.Value).Distinct(StringComparer.Ordinal).ToList(),
            AllowedPolicies = policies.Select(p => unchecked((uint)p)).ToHashSet(),
            MinApiMajor = (int)minMajor,
            MinApiMinor = (int)minMinor,
            AllowedBuildIds = (buildIds ?? []).ToHashSet(),
            MinBuildId = minBuild,
            Platform = platform,
            MeasurementVariants = variants,
            AllowedChips = chips,
            SecretGuid = secretGuid,
        };
    }

    private static ImageDefinition? ParseImage(
        string file, string baseDirectory, string keyset, string field, JsonElement element,
        List<ConfigurationError> errors, List<string> warnings)
    {
        var r = new JsonFieldReader(file, keyset, element, errors, field + ".");
        r.RejectDuplicateFields();
        RejectUnknownFields(r, KnownImageFields);

        int before = errors.Count;
        var name0 = r.String(ImageName, required: true);
        if (name0 is { Length: 0 })
            r.Error(ImageName, "must not be empty");
        var ovmf = r.String(ImageOvmf, required: true);
        var kernel = r.String(ImageKernel);
        var initrd = r.String(ImageInitrd);
        var cmdline = r.String(ImageCmdline);
        var cmdlineFile = r.String(ImageCmdlineFile);
        var kernelHashes = r.Bool(ImageKernelHashes);
        if (cmdline is not null && cmdlineFile is not null)
            r.Error(ImageCmdlineFile, "give either cmdline or cmdline_file, not both");
        if (kernelHashes == true && kernel is null)
            r.Error(ImageKernelHashes, "is true but no kernel is given");
        if (kernel is null && (initrd is not null || cmdline is not null || cmdlineFile is not null) && kernelHashes != false)
            r.Error(ImageKernel, "initrd/cmdline are only measured together with a kernel");
        var es = ParseEs(r);
        if (errors.Count != before || name0 is null || ovmf is null)
            return null;

        return new ImageDefinition(
            name0,
            Resolve(baseDirectory, ovmf),
            kernel is null ? null : Resolve(baseDirectory, kernel),
            initrd is null ? null : Resolve(baseDirectory, initrd),
            cmdline,
            cmdlineFile is null ? null : Resolve(baseDirectory, cmdlineFile),
            kernelHashes,
            es);
    }

    /// <summary>
    /// The ES fields of an image: <c>"es": true</c> needs the vCPU counts, exactly one way of giving the vCPU
    /// signature and the VMSA layout (it depends on the host's kernel, so there is no default); without it none of them
    /// may appear, since they would change nothing.
    /// </summary>
    private static EsImageSettings? ParseEs(JsonFieldReader r)
    {
        bool es = r.Bool(ImageEs) ?? false;
        if (!es)
        {
            foreach (var field in EsOnlyFields.Where(r.Has))
                r.Error(field, $"applies only to an SEV-ES/CSV2 image (\"{ImageEs}\": true)");
            return null;
        }

        IReadOnlyList<int>? counts = null;
        if (!r.Element.TryGetProperty(ImageVcpus, out var vcpus))
            r.Error(ImageVcpus, $"is required for an SEV-ES/CSV2 image (a number, a list or a range such as \"1-8\")");
        else
            counts = ParseVcpuCounts(r, vcpus);

        uint? signature = null;
        bool fms = r.Has(ImageVcpuFamily) || r.Has(ImageVcpuModel) || r.Has(ImageVcpuStepping);
        int ways = (r.Has(ImageVcpuType) ? 1 : 0) + (r.Has(ImageVcpuSig) ? 1 : 0) + (fms ? 1 : 0);
        if (ways != 1)
        {
            r.Error(ways == 0 ? ImageVcpuType : ImageVcpuSig,
                $"give exactly one of {ImageVcpuType}, {ImageVcpuSig} or {ImageVcpuFamily}/{ImageVcpuModel}/{ImageVcpuStepping}");
        }
        else if (r.Has(ImageVcpuType))
        {
            if (r.String(ImageVcpuType) is { } type)
            {
                if (VcpuSignature.TryFromModel(type, out var sig))
                    signature = sig;
                else
                    r.Error(ImageVcpuType, $"unknown vCPU type '{type}' (known: {string.Join(", ", VcpuSignature.KnownModels)})");
            }
        }
        else if (r.Has(ImageVcpuSig))
        {
            var element = r.Element.GetProperty(ImageVcpuSig);
            if (element.ValueKind == JsonValueKind.Number)
                signature = (uint?)r.Integer(ImageVcpuSig, 0, uint.MaxValue);
            else if (r.String(ImageVcpuSig) is { } text)
            {
                if (VcpuSignature.TryParseRaw(text, out var sig))
                    signature = sig;
                else
                    r.Error(ImageVcpuSig, $"'{text}' is not a 32-bit hex value such as \"0x800f12\"");
            }
        }
        else
        {
            var family = r.Integer(ImageVcpuFamily, 0, 0xff + 0xf);
            var model = r.Integer(ImageVcpuModel, 0, 0xff);
            var stepping = r.Integer(ImageVcpuStepping, 0, 0xf);
            foreach (var (field, value) in new[] { (ImageVcpuFamily, family), (ImageVcpuModel, model), (ImageVcpuStepping, stepping) })
            {
                if (value is null && !r.Has(field))
                    r.Error(field, $"is required with {ImageVcpuFamily}/{ImageVcpuModel}/{ImageVcpuStepping}");
            }
            if (family is not null && model is not null && stepping is not null)
                signature = VcpuSignature.FromFamilyModelStepping((int)family, (int)model, (int)stepping);
        }

        VmsaLayout? layout = null;
        if (!r.Has(ImageVmsaLayout))
            r.Error(ImageVmsaLayout, $"is required for an SEV-ES/CSV2 image: \"{VmsaLayouts.LegacyName}\" (KVM_SEV_ES_INIT, kernels before 6.10) " +
                $"or \"{VmsaLayouts.Init2Name}\" (KVM_SEV_INIT2); it depends on the host's kernel");
        else if (r.String(ImageVmsaLayout) is { } layoutText)
        {
            if (VmsaLayouts.TryParse(layoutText, out var parsed))
                layout = parsed;
            else
                r.Error(ImageVmsaLayout, $"unknown VMSA layout '{layoutText}' (known: {string.Join(", ", VmsaLayouts.Names)})");
        }

        return counts is not null && signature is not null && layout is not null
            ? new EsImageSettings(counts, new EsVcpuModel(signature.Value, layout.Value))
            : null;
    }

    private static IReadOnlyList<int>? ParseVcpuCounts(JsonFieldReader r, JsonElement value)
    {
        try
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Number:
                    return r.Integer(ImageVcpus, 1, EsVcpuModel.MaxVcpus) is { } one ? [(int)one] : null;
                case JsonValueKind.String:
                    return VcpuCounts.Parse(value.GetString());
                case JsonValueKind.Array:
                    var list = r.IntegerArray(ImageVcpus, 1, EsVcpuModel.MaxVcpus);
                    if (list is { Count: 0 })
                    {
                        r.Error(ImageVcpus, "is empty: no launch could ever match");
                        return null;
                    }
                    return list?.Select(n => (int)n).Distinct().Order().ToList();
                default:
                    r.Error(ImageVcpus, $"must be a number, a list of numbers or a range such as \"1-8\", found {JsonFieldReader.Describe(value)}");
                    return null;
            }
        }
        catch (CryptoFormatException ex)
        {
            r.Error(ImageVcpus, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// A field that is not known is an error naming the closest known one: the host is untrusted and the operator's
    /// "allowed_chips" for "allowed-chips" would otherwise silently switch chip pinning off. Field names are exact
    /// (JSON lookups are case-sensitive), but the suggestion ignores case and '_' versus '-'.
    /// </summary>
    private static void RejectUnknownFields(JsonFieldReader r, IReadOnlyList<string> known)
    {
        foreach (var name in r.FieldNames().Where(n => !known.Contains(n)).Distinct())
        {
            r.Error(null, ClosestName.For(name, known) is { } meant
                ? $"unknown field \"{name}\": did you mean '{meant}'?"
                : $"unknown field \"{name}\" (known: {string.Join(", ", known)})");
        }
    }

    private static string Resolve(string baseDirectory, string path) =>
        Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(baseDirectory, path));
}
