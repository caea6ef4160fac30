using System.Text;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>Kernel and initrd files in a fresh temporary directory beside the demo OVMF (config/dev/demo).</summary>
internal sealed class TempImage : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gop-roundtrip-").FullName;

    public TempImage()
    {
        var random = new RoundTripRandom("temp-image");
        KernelPath = Path.Combine(_directory, "bzImage");
        InitrdPath = Path.Combine(_directory, "initrd.img");
        File.WriteAllBytes(KernelPath, random.Bytes(5000));
        File.WriteAllBytes(InitrdPath, random.Bytes(3000));
    }

    public string OvmfPath => DemoImage.Ovmf;
    public string KernelPath { get; }
    public string InitrdPath { get; }

    public LaunchImage Image(bool kernelHashes) =>
        new(OvmfPath, KernelPath, InitrdPath, Encoding.ASCII.GetBytes("console=ttyS0 root=/dev/vda1"), kernelHashes);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }
}
