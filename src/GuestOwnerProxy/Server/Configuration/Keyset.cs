using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>A launch digest the keyset accepts, with the secret area size of its firmware when known.</summary>
public sealed record ExpectedDigest(DigestCandidate Candidate, uint? SecretAreaSize);

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
}
