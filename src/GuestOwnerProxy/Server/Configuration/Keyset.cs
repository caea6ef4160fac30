using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// A launch digest the keyset accepts, with the secret area size of its firmware when known. <paramref name="Es"/>:
/// true for an SEV-ES/CSV2 image digest (VMSA pages included), false for a plain image digest, null for a literal
/// <c>allowed_digests</c> entry, whose kind only the operator knows.
/// </summary>
public sealed record ExpectedDigest(DigestCandidate Candidate, uint? SecretAreaSize, bool? Es = null)
{
    /// <summary>An ES launch (policy bit 0x4) is measured with VMSA pages, any other without: a digest of the other kind can never be right.</summary>
    public bool AppliesToPolicy(uint policy) => Es is null || Es == GuestPolicyBits.IsEs(policy);
}

/// <summary>A validated keyset with its expected launch digests resolved per platform.</summary>
public sealed class Keyset
{
    private readonly IReadOnlyDictionary<PlatformKind, IReadOnlyList<ExpectedDigest>> _digests;

    public Keyset(KeysetDefinition definition, IReadOnlyDictionary<PlatformKind, IReadOnlyList<ExpectedDigest>> digests)
    {
        Definition = definition;
        _digests = digests;
    }

    public KeysetDefinition Definition { get; }

    public string Id => Definition.Id;

    /// <summary>Literal digests (platform-agnostic) followed by image digests computed for <paramref name="platform"/>.</summary>
    public IReadOnlyList<ExpectedDigest> DigestsFor(PlatformKind platform) =>
        _digests.TryGetValue(platform, out var list) ? list : [];

    /// <summary>The candidates for a launch with this policy: ES digests only for an ES policy, plain ones only otherwise.</summary>
    public IReadOnlyList<ExpectedDigest> DigestsFor(PlatformKind platform, uint policy) =>
        DigestsFor(platform).Where(d => d.AppliesToPolicy(policy)).ToList();
}
