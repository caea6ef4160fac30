using System.Collections.Concurrent;
using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// A launch digest the server computed itself for an <c>allowed_images</c> entry; for an SEV-ES/CSV2 image one per
/// vCPU count (<see cref="Vcpus"/>), for any other image exactly one (<see cref="Vcpus"/> null).
/// </summary>
public sealed record ImageDigest(string Name, PlatformKind Platform, byte[] Digest, bool KernelHashes, uint? SecretAreaSize,
    int? Vcpus = null, EsVcpuModel? Es = null)
{
    public bool IsEs => Es is not null;

    /// <summary>How the digest is named in candidates, logs, audit records and check-config.</summary>
    public string CandidateName => Es is null
        ? $"image '{Name}'"
        : $"image '{Name}' (es, {Vcpus} vcpu{(Vcpus == 1 ? "" : "s")}, {VmsaLayouts.Name(Es.Layout)})";
}

/// <summary>
/// Launch digests of configured images, keyed by platform, image definition and the size and
/// modification time of every file involved: a reload recomputes only what changed (OVMF and
/// initrd files are large).
/// </summary>
public sealed class ImageDigestCache
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<ImageDigest>> _cache = new(StringComparer.Ordinal);
    private readonly IPlatformRegistry _platforms;

    public ImageDigestCache(IPlatformRegistry? platforms = null) => _platforms = platforms ?? PlatformRegistry.Default;

    public int Computations { get; private set; }

    /// <summary>
    /// The image's digests on a platform: one, or for an ES image one per vCPU count, all from a single pass over
    /// the files (<see cref="LaunchDigest.ComputeEs"/>), so a 1–64 range costs one firmware read plus 64 pages.
    /// </summary>
    /// <exception cref="CryptoFormatException">unreadable file, a kernel with an OVMF lacking the hashes area,
    /// or an ES image whose OVMF has no SEV-ES reset block.</exception>
    public IReadOnlyList<ImageDigest> Get(ImageDefinition image, PlatformKind platform)
    {
        var key = CacheKey(image, platform);
        if (_cache.TryGetValue(key, out var cached))
            return cached;

        var launchImage = new LaunchImage(image.OvmfPath, image.KernelPath, image.InitrdPath, ReadCmdline(image), image.KernelHashes);
        var crypto = _platforms.For(platform).Crypto;
        IReadOnlyList<ImageDigest> digests;
        if (image.Es is { } es)
        {
            var result = LaunchDigest.ComputeEs(crypto, launchImage, es.Vcpu, es.VcpuCounts);
            digests = result.Digests.Select(d => new ImageDigest(image.Name, platform, d.Digest, launchImage.MeasuresKernelHashes,
                result.Footer.SecretArea?.Size, d.Vcpus, es.Vcpu)).ToList();
        }
        else
        {
            var result = LaunchDigest.Compute(crypto, launchImage);
            digests = [new ImageDigest(image.Name, platform, result.Digest, launchImage.MeasuresKernelHashes, result.Footer.SecretArea?.Size)];
        }
        Computations++;
        _cache[key] = digests;
        return digests;
    }

    /// <summary>Drops entries not used by the last load, so the cache does not grow with every edit.</summary>
    public void Retain(IEnumerable<(ImageDefinition Image, PlatformKind Platform)> live)
    {
        var keep = live.Select(l => CacheKey(l.Image, l.Platform)).ToHashSet(StringComparer.Ordinal);
        foreach (var key in _cache.Keys)
        {
            if (!keep.Contains(key))
                _cache.TryRemove(key, out _);
        }
    }

    /// <summary>Far above any kernel's command line limit (COMMAND_LINE_SIZE is 2048 on x86), so only a wrong file reaches it.</summary>
    public const int MaxCmdlineFileSize = 64 * 1024;

    /// <summary>
    /// The command line as QEMU sees it. A cmdline file conventionally ends with one newline that is not
    /// part of the <c>-append</c> string (Hygon's helper drops the last byte), so exactly one trailing
    /// "\n" (or "\r\n") is removed; any other whitespace is kept because it changes the digest.
    /// </summary>
    public static byte[]? ReadCmdline(ImageDefinition image)
    {
        if (image.Cmdline is not null)
            return Encoding.UTF8.GetBytes(image.Cmdline);
        if (image.CmdlineFile is null)
            return null;
        byte[] bytes;
        try
        {
            bytes = RegularFile.ReadAll(image.CmdlineFile, MaxCmdlineFileSize, "a kernel command line file");
        }
        catch (FileRefusedException ex)
        {
            throw new CryptoFormatException($"cmdline file: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CryptoFormatException($"cannot read cmdline file '{image.CmdlineFile}': {ex.Message}", ex);
        }
        int length = bytes.Length;
        if (length > 0 && bytes[length - 1] == (byte)'\n')
        {
            length--;
            if (length > 0 && bytes[length - 1] == (byte)'\r')
                length--;
        }
        return bytes[..length];
    }

    private static string CacheKey(ImageDefinition image, PlatformKind platform)
    {
        var key = new StringBuilder();
        key.Append(platform).Append('|').Append(image.Es).Append('|').Append(image.KernelHashes).Append('|').Append(image.Cmdline?.Length).Append(':').Append(image.Cmdline);
        foreach (var file in new[] { image.OvmfPath, image.KernelPath, image.InitrdPath, image.CmdlineFile })
        {
            key.Append('|').Append(file);
            if (file is not null)
                key.Append('@').Append(FileStamp(file));
        }
        return key.ToString();
    }

    internal static string FileStamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? $"{info.Length}:{info.LastWriteTimeUtc.Ticks}" : "missing";
    }
}
