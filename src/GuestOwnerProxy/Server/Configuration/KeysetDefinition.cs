using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>One entry of keysets.json after validation (deployed fields plus the config.md extensions).</summary>
public sealed class KeysetDefinition
{
    public required string Id { get; init; }

    /// <summary>Launch digests given literally (hex or base64, 32 bytes), named "allowed_digests[i]".</summary>
    public IReadOnlyList<DigestCandidate> AllowedDigests { get; init; } = [];

    /// <summary>Images the server measures itself.</summary>
    public IReadOnlyList<ImageDefinition> AllowedImages { get; init; } = [];

    public required IReadOnlyList<string> AllowedKeys { get; init; }

    /// <summary>Raw policy bits; never re-encoded.</summary>
    public required IReadOnlySet<uint> AllowedPolicies { get; init; }

    public int MinApiMajor { get; init; }
    public int MinApiMinor { get; init; }

    /// <summary>64-bit because Hygon build ids are large.</summary>
    public IReadOnlySet<long> AllowedBuildIds { get; init; } = new HashSet<long>();

    /// <summary>Any build at or above this is allowed (alternative to <see cref="AllowedBuildIds"/>).</summary>
    public long? MinBuildId { get; init; }

    /// <summary>Null: either platform, the session's PDH decides.</summary>
    public PlatformKind? Platform { get; init; }

    /// <summary>CSV formulas to accept; null means every known CSV candidate.</summary>
    public IReadOnlyList<MeasurementFormula>? MeasurementVariants { get; init; }

    /// <summary>Lowercase chip ids (CEK public key fingerprints) allowed; empty means any verified chip.</summary>
    public IReadOnlySet<string> AllowedChips { get; init; } = new HashSet<string>();

    public Guid SecretGuid { get; init; } = KnownGuids.KeysetBundle;

    public bool AppliesTo(PlatformKind platform) => Platform is null || Platform == platform;

    public bool AllowsBuild(long buildId) =>
        AllowedBuildIds.Contains(buildId) || (MinBuildId is { } min && buildId >= min);

    /// <summary>False when every build id is allowed (<c>min-build-id: 0</c>): then there is nothing for a measurement to authenticate.</summary>
    public bool RestrictsBuild => MinBuildId is not 0;

    /// <summary>
    /// The build rule holds only if the matched formula covers the whole claimed build id. A formula that
    /// does not is accepted only when the operator named it in <c>measurement-variants</c> (then the release is
    /// audited <c>build_id_verified: false</c> and the loader warns); the default candidate list never is.
    /// </summary>
    public bool AcceptsUnmeasuredBuildUnder(MeasurementFormula formula) =>
        !RestrictsBuild || (MeasurementVariants?.Contains(formula) ?? false);

    /// <summary>The explicitly listed formulas under which this keyset's build restriction is not authenticated
    /// for some build id it allows (for the load-time warning).</summary>
    public IEnumerable<MeasurementFormula> UnauthenticatedBuildFormulas()
    {
        if (!RestrictsBuild || MeasurementVariants is null || !AppliesTo(PlatformKind.Csv))
            yield break;
        // Build ids are 32-bit (the parser caps them): a min-build-id allows every id up to uint.MaxValue.
        long largestAllowed = MinBuildId is not null ? uint.MaxValue : AllowedBuildIds.DefaultIfEmpty(0).Max();
        foreach (var formula in MeasurementVariants)
        {
            if (MeasurementFormulas.LargestCoveredBuildId(formula) is not { } covered || largestAllowed > covered)
                yield return formula;
        }
    }

    /// <summary>Formulas tried for a session of this platform.</summary>
    public IReadOnlyList<MeasurementFormula> FormulasFor(PlatformKind platform) =>
        platform == PlatformKind.Csv && MeasurementVariants is { Count: > 0 } variants
            ? variants
            : MeasurementFormulas.DefaultsFor(platform);
}

/// <summary>An <c>allowed_images</c> entry. Paths are already resolved against the keysets file's folder.</summary>
public sealed record ImageDefinition(
    string Name,
    string OvmfPath,
    string? KernelPath,
    string? InitrdPath,
    string? Cmdline,
    string? CmdlineFile,
    bool? KernelHashes,
    EsImageSettings? Es = null)
{
    /// <summary>Every file whose change must trigger a recomputation of the digest.</summary>
    public IEnumerable<string> Files() => NamedFiles().Select(f => f.Path);

    /// <summary>The files with the keysets.json field that names them.</summary>
    public IEnumerable<(string Field, string Path)> NamedFiles()
    {
        yield return (KeysetFileParser.ImageOvmf, OvmfPath);
        if (KernelPath is not null) yield return (KeysetFileParser.ImageKernel, KernelPath);
        if (InitrdPath is not null) yield return (KeysetFileParser.ImageInitrd, InitrdPath);
        if (CmdlineFile is not null) yield return (KeysetFileParser.ImageCmdlineFile, CmdlineFile);
    }
}

/// <summary>An SEV-ES/CSV2 image's vCPU facts: one launch digest per vCPU count.</summary>
public sealed record EsImageSettings(IReadOnlyList<int> VcpuCounts, EsVcpuModel Vcpu)
{
    public override string ToString() => $"es, vcpus {Crypto.Launch.VcpuCounts.Format(VcpuCounts)}, {Vcpu}";
}
