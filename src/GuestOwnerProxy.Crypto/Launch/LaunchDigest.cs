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

    public const string NoSevEsResetBlockMessage =
        "OVMF has no SEV-ES reset block (footer entry 00f771de-1a7e-4fcb-890e-68c77e2fb44e): it cannot boot an SEV-ES/CSV2 guest";

    public static LaunchDigestResult Compute(ILaunchCrypto crypto, LaunchImage image)
    {
        var (hash, table, footer) = HashImage(crypto, image);
        using (hash)
            return new LaunchDigestResult(hash.Finish(), table, footer);
    }

    /// <summary>
    /// The SEV-ES/CSV2 digests of one image for every count in <paramref name="vcpuCounts"/>:
    /// H(OVMF ‖ table ‖ VMSA(BSP) ‖ VMSA(AP) × (n − 1)). The firmware and the kernel files are streamed once; the
    /// running hash is cloned at each requested count, so a range of 64 counts costs one pass plus 64 pages, not 64 passes.
    /// </summary>
    /// <exception cref="CryptoFormatException">unreadable files, an OVMF without the SEV-ES reset block, a count out of range.</exception>
    public static EsLaunchDigestResult ComputeEs(ILaunchCrypto crypto, LaunchImage image, EsVcpuModel vcpu, IEnumerable<int> vcpuCounts)
    {
        ArgumentNullException.ThrowIfNull(vcpu);
        var counts = vcpuCounts.Distinct().Order().ToList();
        if (counts.Count == 0)
            throw new CryptoFormatException("an SEV-ES digest needs at least one vCPU count");
        if (counts[0] < 1 || counts[^1] > EsVcpuModel.MaxVcpus)
            throw new CryptoFormatException($"vCPU count must be 1..{EsVcpuModel.MaxVcpus}, got {(counts[0] < 1 ? counts[0] : counts[^1])}");
        var scheme = EsDigestSchemes.For(crypto.Platform);

        // Checked before the firmware is streamed: an OVMF that cannot start APs under SEV-ES is refused, not measured.
        var footer = Guard("OVMF", image.OvmfPath, () => OvmfFooter.Read(image.OvmfPath));
        if (footer.SevEsResetAddress is not { } apEip)
            throw new CryptoFormatException($"{NoSevEsResetBlockMessage} ({image.OvmfPath})");

        var (hash, table, _) = HashImage(crypto, image, footer);
        using (hash)
        {
            var digests = new List<EsLaunchDigest>(counts.Count);
            var page = new byte[VmsaPage.Size];
            VmsaPage.Write(page, VmsaPage.BspEip, vcpu.Signature, vcpu.Layout);
            hash.Append(page);
            VmsaPage.Write(page, apEip, vcpu.Signature, vcpu.Layout);
            int next = 0;
            for (int n = 1; n <= counts[^1]; n++)
            {
                if (n > 1)
                    hash.Append(page);
                if (counts[next] != n)
                    continue;
                using var copy = hash.Clone();
                digests.Add(new EsLaunchDigest(n, copy.Finish()));
                next++;
            }
            return new EsLaunchDigestResult(digests, table, footer, apEip, scheme);
        }
    }

    /// <summary>The running hash after OVMF ‖ padded kernel-hashes table: what both digests share.</summary>
    private static (IStreamingHash Hash, byte[]? Table, OvmfFooter Footer) HashImage(ILaunchCrypto crypto, LaunchImage image, OvmfFooter? known = null)
    {
        var footer = known ?? Guard("OVMF", image.OvmfPath, () => OvmfFooter.Read(image.OvmfPath));
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

        var hash = crypto.CreateDigest();
        try
        {
            Guard("OVMF", image.OvmfPath, () => { AppendFile(hash, image.OvmfPath); return 0; });
            if (table is not null)
                hash.Append(table);
            return (hash, table, footer);
        }
        catch
        {
            hash.Dispose();
            throw;
        }
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
