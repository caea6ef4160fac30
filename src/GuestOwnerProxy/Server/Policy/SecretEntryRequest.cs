namespace GuestOwnerProxy.Server.Policy;

/// <summary>The secret types this broker releases (simple-kbs's offline ones).</summary>
public enum SecretEntryKind
{
    /// <summary>"bundle": the keyset's keys as the JSON object the Setup path sends.</summary>
    KeysetBundle,
    /// <summary>"key": one key of the keyset.</summary>
    Key,
}

/// <summary>How a <see cref="SecretEntryKind.Key"/> entry is encoded.</summary>
public enum SecretEntryFormat
{
    /// <summary><c>{"&lt;id&gt;": "&lt;base64&gt;"}</c>, byte for byte as the keyset bundle writes one key.</summary>
    Json,
    /// <summary>The decoded key bytes.</summary>
    Binary,
}

/// <summary>One entry of the secret table, at the GUID the guest asked for.</summary>
/// <param name="Id">Keyset id (bundle) or key id (key).</param>
public sealed record SecretEntryRequest(Guid Guid, SecretEntryKind Kind, string Id, SecretEntryFormat Format);
