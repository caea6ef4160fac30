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
