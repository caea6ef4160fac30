using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.LoadTest;

/// <summary>A launch failed its check after the server answered (the guest did not get the right keys).</summary>
public sealed class LaunchCheckException(string message) : Exception(message);

/// <summary>
/// Which keyset a launch asks for and what the guest must then find in its secret area: the keyset
/// bundle entry, a JSON object of key ids and values. In process the keyset's keys are known, so the
/// set must be exactly theirs; against another server, every key received must have its keys.json
/// value (or, without keys.json, there must be at least one key). Failure messages name key ids, never values.
/// </summary>
public sealed class LaunchExpectation
{
    private readonly IReadOnlyDictionary<string, string>? _keys;
    private readonly bool _exactSet;

    public LaunchExpectation(string keyset, IReadOnlyDictionary<string, string>? keys, bool exactSet = true)
    {
        Keyset = keyset;
        _keys = keys;
        _exactSet = exactSet;
    }

    public string Keyset { get; }

    public static LaunchExpectation FromKeysFile(string keyset, string? keysFile)
    {
        if (keysFile is null)
            return new LaunchExpectation(keyset, null);
        var keys = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(keysFile))
            ?? throw new ArgumentException($"--keys: '{keysFile}' is not a JSON object of key ids and base64 values");
        return new LaunchExpectation(keyset, keys, exactSet: false);
    }

    /// <summary>Throws <see cref="LaunchCheckException"/> unless the guest got the expected keys. Zeroes the entries.</summary>
    public void Check(IReadOnlyList<GuestSecretEntry> entries)
    {
        try
        {
            var bundle = entries.FirstOrDefault(e => e.Guid == KnownGuids.KeysetBundle)
                ?? throw new LaunchCheckException($"no keyset bundle entry among {entries.Count} secret entries");
            Dictionary<string, string>? received;
            try
            {
                received = JsonSerializer.Deserialize<Dictionary<string, string>>(bundle.Data);
            }
            catch (JsonException)
            {
                throw new LaunchCheckException("the keyset bundle entry is not a JSON object of key ids and values");
            }
            if (received is null || received.Count == 0)
                throw new LaunchCheckException("the guest received no keys");
            if (_keys is null)
                return;
            var missing = _exactSet ? _keys.Keys.Where(k => !received.ContainsKey(k)).ToList() : [];
            var extra = received.Keys.Where(k => !_keys.ContainsKey(k)).ToList();
            if (missing.Count > 0 || extra.Count > 0)
                throw new LaunchCheckException($"key ids differ: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]");
            foreach (var (id, value) in received)
            {
                if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes(_keys[id])))
                    throw new LaunchCheckException($"key '{id}' has a different value");
            }
        }
        finally
        {
            foreach (var entry in entries)
                CryptographicOperations.ZeroMemory(entry.Data);
        }
    }
}
