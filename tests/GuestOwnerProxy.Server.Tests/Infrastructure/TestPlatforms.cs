using System.Collections.Concurrent;
using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Server.Tests.Infrastructure;

/// <summary>
/// Simulated firmware shared by the tests (key generation is the slow part). All trusted platforms
/// come from one seed, so they share roots; <see cref="Untrusted"/> uses another seed, i.e. another root.
/// </summary>
public static class TestPlatforms
{
    private static readonly byte[] Seed = Encoding.ASCII.GetBytes("GuestOwnerProxy server tests");
    private static readonly byte[] OtherSeed = Encoding.ASCII.GetBytes("GuestOwnerProxy server tests: another vendor root");
    private static readonly ConcurrentDictionary<string, Lazy<ISoftwarePlatform>> Cache = new();

    public static ISoftwarePlatform Csv(CsvMeasurementVariant variant = CsvMeasurementVariant.Build32, FirmwareVersion? version = null) =>
        Get($"csv-{variant}-{version}", () => SoftwareCsvPlatform.Create(new SoftwarePlatformOptions { Seed = Seed, CsvVariant = variant, Version = version }));

    public static ISoftwarePlatform Sev => Get("sev", () => SoftwareSevPlatform.Create(new SoftwarePlatformOptions { Seed = Seed }));

    public static ISoftwarePlatform For(PlatformKind kind) => kind == PlatformKind.Csv ? Csv() : Sev;

    public static ISoftwarePlatform Untrusted(PlatformKind kind) => Get($"untrusted-{kind}", () =>
        SoftwarePlatform.Create(kind, new SoftwarePlatformOptions { Seed = OtherSeed }));

    private static ISoftwarePlatform Get(string key, Func<ISoftwarePlatform> create) =>
        Cache.GetOrAdd(key, _ => new Lazy<ISoftwarePlatform>(create)).Value;
}
