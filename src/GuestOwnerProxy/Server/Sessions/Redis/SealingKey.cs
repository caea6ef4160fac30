using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Server.Sessions.Redis;

/// <summary>A sealing key file could not be used: missing, not a regular file, readable by others, or not 32 bytes.</summary>
public sealed class SealingKeyException(string message) : Exception(message);

/// <summary>
/// One AES-256 key that seals session values for Redis, read from a file of exactly 32 random bytes that only the proxy's
/// user may read (mode 0600). Its id (the first 8 bytes of SHA-256 over a label and the key) travels with every sealed
/// value, so a value names the key that opens it and a rotated key ring still opens older values. The id reveals nothing
/// usable about the key. Dispose zeroes the key.
/// </summary>
public sealed class SealingKey : IDisposable
{
    public const int KeySize = 32;
    public const int IdSize = 8;
    private static readonly byte[] IdLabel = "gop sealing key id v1"u8.ToArray();

    private readonly byte[] _key;

    private SealingKey(byte[] key)
    {
        _key = key;
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            sha.AppendData(IdLabel);
            sha.AppendData(key);
            sha.GetHashAndReset(hash);
        }
        Id = hash[..IdSize].ToArray();
    }

    public byte[] Id { get; }

    /// <summary>The id as lowercase hex, for logs and for <c>gop sealing-key new</c>.</summary>
    public string IdText => Convert.ToHexStringLower(Id);

    internal ReadOnlySpan<byte> Key => _key;

    /// <summary>Reads the key file <paramref name="path"/>. Throws <see cref="SealingKeyException"/> with the reason.</summary>
    public static SealingKey Load(string path)
    {
        if (RegularFile.Problem(path) is { } notRegular)
            throw new SealingKeyException(notRegular);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & others) != 0)
                throw new SealingKeyException(
                    $"'{path}' is accessible by group/others (mode {Convert.ToString((int)mode & 0x1ff, 8)}); a sealing key must be readable by the proxy's user alone (chmod 600)");
        }
        var key = new byte[KeySize];
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            int total = 0, read;
            Span<byte> extra = stackalloc byte[1];
            while (total < KeySize && (read = stream.Read(key, total, KeySize - total)) > 0)
                total += read;
            if (total != KeySize || stream.Read(extra) != 0)
                throw new SealingKeyException($"'{path}' is not a sealing key: it must hold exactly {KeySize} bytes (create one with: gop sealing-key new FILE)");
            return new SealingKey(key);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new SealingKeyException($"cannot read '{path}': {ex.Message}");
        }
        catch
        {
            CryptographicOperations.ZeroMemory(key);
            throw;
        }
    }

    /// <summary>Null when <paramref name="path"/> holds a usable key (read as the store reads it), otherwise why not.</summary>
    public static string? FileProblem(string path)
    {
        try
        {
            using var key = Load(path);
            return null;
        }
        catch (SealingKeyException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Writes a new random key to <paramref name="path"/>, created with mode 0600 and never over an existing file
    /// (that would strand every session the old key sealed). Returns the new key's id.</summary>
    /// <exception cref="IOException">the file exists or cannot be created.</exception>
    public static string Create(string path)
    {
        var key = RandomNumberGenerator.GetBytes(KeySize);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(path, options))
            {
                stream.Write(key);
                stream.Flush(flushToDisk: true);
            }
            using var created = new SealingKey((byte[])key.Clone());
            return created.IdText;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    public override string ToString() => $"SealingKey({IdText})";
}
