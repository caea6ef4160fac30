using System.Buffers.Binary;
using System.Diagnostics;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Crypto.Tests.Launch;

/// <summary>OVMF tables beyond the first read, non-regular launch files, digest candidates, secret GUIDs, null names.</summary>
public sealed class LaunchInputEdgeCaseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gop-launch-review-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>An image whose GUID table (secret area entry, a large unknown entry, footer) is bigger than 4 KiB.</summary>
    private string ImageWithLargeGuidTable(int fillerEntryData)
    {
        var entries = new List<byte>();
        void Entry(ReadOnlySpan<byte> data, Guid guid)
        {
            entries.AddRange(data.ToArray());
            var trailer = new byte[18];
            BinaryPrimitives.WriteUInt16LittleEndian(trailer, (ushort)(data.Length + 18));
            guid.TryWriteBytes(trailer.AsSpan(2));
            entries.AddRange(trailer);
        }
        var area = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(area, 0x810000);
        BinaryPrimitives.WriteUInt32LittleEndian(area.AsSpan(4), 0xc00);
        Entry(area, KnownGuids.OvmfSecretArea);
        Entry(new byte[fillerEntryData], Guid.Parse("11111111-2222-3333-4444-555555555555"));
        int tableSize = entries.Count + 18;
        var footer = new byte[18];
        BinaryPrimitives.WriteUInt16LittleEndian(footer, (ushort)tableSize);
        KnownGuids.OvmfTableFooter.TryWriteBytes(footer.AsSpan(2));
        byte[] image = [.. new byte[10000], .. entries, .. footer, .. new byte[32]];
        string path = Path.Combine(_dir, $"ovmf-{fillerEntryData}.fd");
        File.WriteAllBytes(path, image);
        return path;
    }

    [Fact]
    public void OvmfFooter_TableLargerThanTheFirstRead_IsReadWhole()
    {
        string path = ImageWithLargeGuidTable(6000);
        Assert.True(new FileInfo(path).Length > OvmfFooter.TailSize);
        var footer = OvmfFooter.Read(path);
        Assert.True(footer.HasGuidTable);
        Assert.Equal(new OvmfArea(0x810000, 0xc00), footer.SecretArea);
        // Same answer as parsing the whole file in memory.
        Assert.Equal(OvmfFooter.Parse(File.ReadAllBytes(path)), footer);
    }

    [Fact]
    public void OvmfFooter_SmallTableStillUsesOneRead()
    {
        var footer = OvmfFooter.Read(ImageWithLargeGuidTable(100));
        Assert.Equal(new OvmfArea(0x810000, 0xc00), footer.SecretArea);
    }

    private static CryptoFormatException DigestFails(LaunchImage image)
    {
        var task = Task.Run(() => LaunchDigest.Compute(PlatformRegistry.Default.For(PlatformKind.Sev).Crypto, image));
        bool finished = Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(20))).GetAwaiter().GetResult() == task;
        Assert.True(finished, "launch digest did not return (hung on a special file?)");
        Assert.True(task.IsFaulted, "launch digest succeeded on an unusable file");
        var ex = Assert.IsType<CryptoFormatException>(task.Exception!.InnerException);
        return ex;
    }

    [Fact]
    public void LaunchDigest_RefusesACharacterDevice_InsteadOfHashingForever()
    {
        if (!File.Exists("/dev/zero"))
            return; // not a Unix system: nothing to check
        string ovmf = DemoImage.Ovmf;
        var ex = DigestFails(new LaunchImage(ovmf, KernelPath: "/dev/zero"));
        Assert.Contains("kernel", ex.Message);
        Assert.Contains("/dev/zero", ex.Message);
        Assert.Contains("not a regular file", ex.Message);

        ex = DigestFails(new LaunchImage("/dev/zero"));
        Assert.Contains("OVMF", ex.Message);
    }

    [Fact]
    public void LaunchDigest_RefusesAFifo_WithoutBlockingInOpen()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string fifo = Path.Combine(_dir, "ovmf.fifo");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", fifo) { UseShellExecute = false })!)
            mkfifo.WaitForExit();
        Assert.True(File.Exists(fifo));
        var ex = DigestFails(new LaunchImage(fifo));
        Assert.Contains("FIFO", ex.Message);
        Assert.Contains("OVMF", ex.Message);
    }

    [Fact]
    public void LaunchDigest_InvalidPathOrDirectory_IsAFormatErrorNamingTheRole()
    {
        var ex = DigestFails(new LaunchImage("bad\0path"));
        Assert.Contains("OVMF", ex.Message);
        ex = DigestFails(new LaunchImage(DemoImage.Ovmf, KernelPath: _dir, InitrdPath: null));
        Assert.Contains("kernel", ex.Message);
        ex = DigestFails(new LaunchImage(DemoImage.Ovmf, KernelPath: Path.Combine(_dir, "missing")));
        Assert.Contains("kernel", ex.Message);
    }

    [VectorFact]
    public void LaunchDigest_RegularFilesStillGiveVectorS6()
    {
        string kernel = Path.Combine(_dir, "kernel");
        File.WriteAllBytes(kernel, []);
        var result = LaunchDigest.Compute(PlatformRegistry.Default.For(PlatformKind.Sev).Crypto, new LaunchImage(Vectors.Path("ovmf/ovmf_AmdSev_suffix.bin"), KernelPath: kernel));
        Assert.Equal("77f613d7bbcdf12a73782ea9e88b0172aeda50d1a54201cb903594ff52846898", Vectors.ToHex(result.Digest));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(48)]
    public void MeasurementVerifier_WrongLengthCandidate_IsAnArgumentError(int length)
    {
        var blob = new byte[LaunchMeasurement.Size];
        var candidates = new[] { new DigestCandidate("good", new byte[32]), new DigestCandidate("broken", new byte[length]) };
        var ex = Assert.Throws<ArgumentException>(() => MeasurementVerifier.Verify(PlatformRegistry.Default.For(PlatformKind.Sev).Crypto, new byte[16], blob,
            new MeasurementParameters(0, 22, 1, 0), candidates, [MeasurementFormula.Sev]));
        Assert.Contains("broken", ex.Message);
        Assert.Contains($"{length} bytes", ex.Message);
    }

    [Fact]
    public void SecretTable_RefusesTheNullGuid()
    {
        var table = new SecretTable();
        var ex = Assert.Throws<CryptoFormatException>(() => table.Add(Guid.Empty, "secret"u8));
        Assert.Contains("null GUID", ex.Message);
        Assert.Empty(table.Entries);
        table.Add(KnownGuids.DiskPassphrase, "secret"u8);
        Assert.Single(table.Entries);
    }

    [Fact]
    public void NullNames_AreFormatErrors()
    {
        Assert.Throws<CryptoFormatException>(() => PlatformNames.Parse(null));
        Assert.Throws<CryptoFormatException>(() => PlatformNames.Parse("  "));
        Assert.Throws<CryptoFormatException>(() => MeasurementFormulas.Parse(null!));
        Assert.False(MeasurementFormulas.TryParse(null!, out _));
        Assert.Equal(PlatformKind.Csv, PlatformNames.Parse(" CSV "));
        // One spelling everywhere: vendor names are not platform names.
        Assert.Throws<CryptoFormatException>(() => PlatformNames.Parse("hygon"));
        Assert.Equal("sev", PlatformNames.Of(PlatformKind.Sev));
        Assert.Equal(MeasurementFormula.CsvBuild8, MeasurementFormulas.Parse("csv-build8"));
    }
}
