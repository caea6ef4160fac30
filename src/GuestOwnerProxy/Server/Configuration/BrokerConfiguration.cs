using GuestOwnerProxy.Crypto.Certificates;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// One immutable, fully validated version of the operator configuration. Requests read the current
/// version once and use it throughout, so a reload never changes the rules in the middle of a request.
/// </summary>
public sealed class BrokerConfiguration
{
    private readonly IReadOnlyDictionary<string, string> _keys;

    public BrokerConfiguration(
        long version,
        IReadOnlyDictionary<string, Keyset> keysets,
        IReadOnlyDictionary<string, string> keys,
        LoadedTrust trust,
        bool unsafeMode)
    {
        Version = version;
        Keysets = keysets;
        _keys = keys;
        Trust = trust;
        Unsafe = unsafeMode;
        TrustVersion = TrustVersionOf(trust);
    }

    /// <summary>
    /// Names the trust in force: equal only for the same roots, extra roots, intermediates and verification switch.
    /// A session remembers the trust version that admitted it; a secret request under another one re-verifies the
    /// session's chain, so removing a root or an intermediate reaches sessions opened before.
    /// </summary>
    public string TrustVersion { get; }

    private static string TrustVersionOf(LoadedTrust trust)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        void Add(ReadOnlySpan<byte> bytes)
        {
            Span<byte> length = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }
        // Each section is tagged and counted, so a certificate moved from one list to another is another trust.
        void Section(string tag, IEnumerable<byte[]> items)
        {
            var sorted = items.Select(Convert.ToHexString).Order(StringComparer.Ordinal).ToList();
            Add(System.Text.Encoding.ASCII.GetBytes($"{tag}:{sorted.Count}"));
            // Order does not change what is trusted: sorted, so that reordering a list is not a new trust.
            foreach (var item in sorted)
                Add(Convert.FromHexString(item));
        }
        Add([trust.SkipVerification ? (byte)1 : (byte)0]);
        Section("roots", trust.Trust.RootCertificates);
        Section("extra-roots", trust.Trust.ExtraRootFingerprints.Select(f => System.Text.Encoding.ASCII.GetBytes(f.Trim().ToLowerInvariant())));
        Section("intermediates", trust.Trust.Intermediates);
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    public long Version { get; }

    public IReadOnlyDictionary<string, Keyset> Keysets { get; }

    public LoadedTrust Trust { get; }

    /// <summary>Measurement verification switched off for the whole server (<c>-u</c>).</summary>
    public bool Unsafe { get; }

    public int KeyCount => _keys.Count;

    /// <summary>The secret payload for a keyset (JSON of its keys). Secret: the caller zeroes it.</summary>
    public byte[] BuildKeyBundle(Keyset keyset) => KeyBundlePayload.Build(keyset.Definition.AllowedKeys, _keys);

    /// <summary>One key as the keybroker <c>key</c> secret carries it: its JSON entry or its decoded bytes.
    /// Secret: the caller zeroes it. The key must be one the keyset allows (the caller checks).</summary>
    public byte[] BuildKey(string keyId, bool binary) =>
        binary ? Convert.FromBase64String(_keys[keyId]) : KeyBundlePayload.Build([keyId], _keys);

    public override string ToString() => $"BrokerConfiguration(v{Version}, {Keysets.Count} keysets, {KeyCount} keys)";
}
