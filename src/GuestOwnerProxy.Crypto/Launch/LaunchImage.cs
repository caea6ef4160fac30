namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// What the guest owner approved for a launch: the firmware image and, when QEMU measures them
/// (kernel-hashes=on), the direct-boot kernel, initrd and command line.
/// </summary>
/// <param name="Cmdline">The exact <c>-append</c> string bytes (no trailing NUL; QEMU adds it).</param>
/// <param name="KernelHashes">Whether the kernel hashes table is measured; null means "when a kernel is given".</param>
public sealed record LaunchImage(
    string OvmfPath,
    string? KernelPath = null,
    string? InitrdPath = null,
    byte[]? Cmdline = null,
    bool? KernelHashes = null)
{
    public bool MeasuresKernelHashes => KernelHashes ?? KernelPath is not null;
}
