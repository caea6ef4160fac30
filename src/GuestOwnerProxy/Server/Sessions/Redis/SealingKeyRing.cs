using System.Security.Cryptography;

namespace GuestOwnerProxy.Server.Sessions.Redis;

/// <summary>Why a sealed value did not open.</summary>
public enum UnsealFailure
{
    /// <summary>No configured key has the id the value names (its key was removed from SealingKeyFiles).</summary>
    UnknownKey,
    /// <summary>The value is not one this format wrote, or its tag does not verify: altered, truncated, or sealed for
    /// another session (the associated data binds the session's names).</summary>
    Corrupt,
}

/// <summary>
/// The sealing keys of one server: the first seals, every one unseals (rotation without dropping live sessions).
/// A sealed value is AES-256-GCM over the session's plaintext, with the format version, the key id and the caller's
/// context (the session's connection id and launch id) as associated data, so a value moved under another session's
/// key in Redis does not open. The byte layout lives in <see cref="SealedValueLayout"/> only.
/// </summary>
public sealed class SealingKeyRing : IDisposable
{
    private static readonly byte[] AadLabel = "gop session v1"u8.ToArray();
    private readonly SealingKey[] _keys;

    public SealingKeyRing(IReadOnlyList<SealingKey> keys)
    {
        if (keys.Count == 0)
            throw new ArgumentException("at least one sealing key is required", nameof(keys));
        _keys = [.. keys];
    }

    /// <summary>Loads every file, in order (the first seals). Throws <see cref="SealingKeyException"/> naming the file.</summary>
    public static SealingKeyRing Load(IReadOnlyList<string> files)
    {
        var keys = new List<SealingKey>();
        try
        {
            foreach (var file in files)
                keys.Add(SealingKey.Load(file));
            return new SealingKeyRing(keys);
        }
        catch
        {
            foreach (var key in keys)
                key.Dispose();
            throw;
        }
    }

    public SealingKey SealingKey => _keys[0];

    public IReadOnlyList<string> KeyIds => _keys.Select(k => k.IdText).ToList();

    public byte[] Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> context)
    {
        var key = _keys[0];
        var sealedValue = new byte[SealedValueLayout.SizeFor(plaintext.Length)];
        var value = sealedValue.AsSpan();
        value[SealedValueLayout.Version] = SealedValueLayout.CurrentVersion;
        key.Id.CopyTo(value.Slice(SealedValueLayout.KeyId, SealingKey.IdSize));
        var nonce = value.Slice(SealedValueLayout.Nonce, SealedValueLayout.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Key, SealedValueLayout.TagSize);
        aes.Encrypt(nonce, plaintext, value.Slice(SealedValueLayout.Ciphertext, plaintext.Length),
            value[^SealedValueLayout.TagSize..], AssociatedData(value, context));
        return sealedValue;
    }

    /// <summary>The plaintext of <paramref name="sealedValue"/> (the caller zeroes it after use), or null with the reason.</summary>
    public byte[]? Unseal(ReadOnlySpan<byte> sealedValue, ReadOnlySpan<byte> context, out UnsealFailure failure)
    {
        failure = UnsealFailure.Corrupt;
        if (sealedValue.Length < SealedValueLayout.SizeFor(0) || sealedValue[SealedValueLayout.Version] != SealedValueLayout.CurrentVersion)
            return null;
        var id = sealedValue.Slice(SealedValueLayout.KeyId, SealingKey.IdSize);
        SealingKey? key = null;
        foreach (var candidate in _keys)
        {
            if (id.SequenceEqual(candidate.Id))
            {
                key = candidate;
                break;
            }
        }
        if (key is null)
        {
            failure = UnsealFailure.UnknownKey;
            return null;
        }
        int length = sealedValue.Length - SealedValueLayout.SizeFor(0);
        var plaintext = GC.AllocateArray<byte>(length, pinned: true); // zeroed by the caller; never moved meanwhile
        try
        {
            using var aes = new AesGcm(key.Key, SealedValueLayout.TagSize);
            aes.Decrypt(sealedValue.Slice(SealedValueLayout.Nonce, SealedValueLayout.NonceSize),
                sealedValue.Slice(SealedValueLayout.Ciphertext, length), sealedValue[^SealedValueLayout.TagSize..],
                plaintext, AssociatedData(sealedValue, context));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return null;
        }
    }

    /// <summary>Label ‖ version ‖ key id ‖ context: everything the value claims about itself, bound to the tag.</summary>
    private static byte[] AssociatedData(ReadOnlySpan<byte> value, ReadOnlySpan<byte> context)
    {
        var aad = new byte[AadLabel.Length + SealedValueLayout.Nonce + context.Length];
        AadLabel.CopyTo(aad, 0);
        value[..SealedValueLayout.Nonce].CopyTo(aad.AsSpan(AadLabel.Length));
        context.CopyTo(aad.AsSpan(AadLabel.Length + SealedValueLayout.Nonce));
        return aad;
    }

    public void Dispose()
    {
        foreach (var key in _keys)
            key.Dispose();
    }
}

/// <summary>A sealed value: version (1) ‖ key id (8) ‖ nonce (12) ‖ ciphertext ‖ tag (16).</summary>
public static class SealedValueLayout
{
    public const byte CurrentVersion = 1;
    public const int Version = 0;
    public const int KeyId = 1;
    public const int Nonce = KeyId + SealingKey.IdSize;
    public const int NonceSize = 12;
    public const int Ciphertext = Nonce + NonceSize;
    public const int TagSize = 16;

    public static int SizeFor(int plaintextLength) => Ciphertext + plaintextLength + TagSize;
}
