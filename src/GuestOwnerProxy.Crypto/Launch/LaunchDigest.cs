using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>The launch digest with the facts that produced it (for CLI output and logs).</summary>
public sealed record LaunchDigestResult(byte[] Digest, byte[]? HashTable, OvmfFooter Footer);

/// <summary>
/// LD = H(OVMF ‖ padded kernel hashes table when measured), H = SM3 on CSV, SHA-256 on SEV: the
/// value the firmware's LAUNCH_UPDATE_DATA hash reaches. Files are streamed; OVMF and initrd can be large.
/// </summary>
public static class LaunchDigest
{
    public const string NoHashesAreaMessage = "kernel specified but OVMF does not support kernel/initrd/cmdline measurement";

    public static LaunchDigestResult Compute(ILaunchCrypto crypto, LaunchImage image)
    {
        var footer = Guard("OVMF", image.OvmfPath, () => OvmfFooter.Read(image.OvmfPath));
        byte[]? table = null;
        if (image.MeasuresKernelHashes)
        {
            if (image.KernelPath is null)
                throw new CryptoFormatException("kernel hashes requested but no kernel given");
            if (footer.KernelHashesArea is not { } area || area.Size < KernelHashesTable.PaddedSize)
                throw new CryptoFormatException($"{NoHashesAreaMessage} ({image.OvmfPath})");
            table = KernelHashesTable.Build(
                KernelHashesTable.HashCmdline(image.Cmdline ?? []),
                Guard("initrd", image.InitrdPath, () => KernelHashesTable.HashFile(image.InitrdPath, "initrd")),
                Guard("kernel", image.KernelPath, () => KernelHashesTable.HashFile(image.KernelPath, "kernel")));
        }

        using var hash = crypto.CreateDigest();
        Guard("OVMF", image.OvmfPath, () => { AppendFile(hash, image.OvmfPath); return 0; });
        if (table is not null)
            hash.Append(table);
        return new LaunchDigestResult(hash.Finish(), table, footer);
    }

    /// <summary>Digest of data already in memory (tests, and callers that add VMSA pages later).</summary>
    public static byte[] Compute(ILaunchCrypto crypto, params byte[][] parts)
    {
        using var hash = crypto.CreateDigest();
        foreach (var part in parts)
            hash.Append(part);
        return hash.Finish();
    }

    private static void AppendFile(IStreamingHash hash, string path)
    {
        using var stream = LaunchFile.OpenRegular("OVMF", path);
        LaunchFile.ReadAll("OVMF", path, stream, hash.Append);
    }

    /// <summary>Every file-access failure (I/O, permissions, an invalid path, a path form the OS does not support)
    /// becomes a <see cref="CryptoFormatException"/> naming the role and the file.</summary>
    private static T Guard<T>(string role, string? path, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (LaunchFile.IsFileAccessError(ex))
        {
            throw LaunchFile.CannotRead(role, path, ex);
        }
    }
}
