using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>
/// The independent software firmwares the guest-owner code is checked against, created once per test
/// run from fixed seeds (long-term keys) and reproducible run-time randomness (mnonce). Test classes run
/// in parallel, so the run-time source is locked.
/// </summary>
internal static class SimulatedPlatforms
{
    /// <summary>Two firmware versions per CSV variant: Hygon's default (build 1600 = 0x640) and one whose
    /// low build byte is zero, so Build8 and NoBuild differ only by a zero byte.</summary>
    public static readonly FirmwareVersion[] CsvVersions = [FirmwareVersion.CsvDefault, new(1, 3, 0x2100)];

    private static readonly Lazy<IReadOnlyList<SoftwareCsvPlatform>> CsvAll = new(() =>
        [.. from variant in Enum.GetValues<CsvMeasurementVariant>()
            from version in CsvVersions
            select CreateCsv($"csv/{variant}/{version.BuildId}", variant, version)]);

    private static readonly Lazy<SoftwareSevPlatform> SevMain = new(() => CreateSev("sev/main"));
    private static readonly Lazy<SoftwareCsvPlatform> CsvOther = new(() => CreateCsv("csv/other"));
    private static readonly Lazy<SoftwareSevPlatform> SevOther = new(() => CreateSev("sev/other"));

    /// <summary>One CSV firmware per (measurement variant, version).</summary>
    public static IReadOnlyList<SoftwareCsvPlatform> Csv => CsvAll.Value;

    public static SoftwareCsvPlatform CsvDefault => Csv.First(p =>
        p.MeasurementVariant == CsvMeasurementVariant.NoBuild && p.Version == FirmwareVersion.CsvDefault);

    public static SoftwareSevPlatform Sev => SevMain.Value;

    /// <summary>A second, unrelated firmware of each kind: another chip with its own keys and roots.</summary>
    public static SoftwareCsvPlatform OtherCsv => CsvOther.Value;

    public static SoftwareSevPlatform OtherSev => SevOther.Value;

    public static SoftwareCsvPlatform CreateCsv(string name, CsvMeasurementVariant variant = CsvMeasurementVariant.NoBuild,
        FirmwareVersion? version = null) =>
        SoftwareCsvPlatform.Create(new SoftwarePlatformOptions
        {
            Seed = Encoding.UTF8.GetBytes(RoundTripRandom.BaseSeed + "/" + name),
            CsvVariant = variant,
            Version = version,
            RuntimeRandom = new LockedRandom(new RoundTripRandom(name + "/runtime")),
        });

    /// <summary>Fresh keys: a seeded SEV firmware generates its RSA ARK/ASK with BouncyCastle from the seed, about a
    /// second per key, and nothing here depends on the SEV platform keys being reproducible.</summary>
    public static SoftwareSevPlatform CreateSev(string name) =>
        SoftwareSevPlatform.Create(new SoftwarePlatformOptions
        {
            RuntimeRandom = new LockedRandom(new RoundTripRandom(name + "/runtime")),
        });

    private sealed class LockedRandom(IRandomSource inner) : IRandomSource
    {
        private readonly Lock _lock = new();

        public void Fill(Span<byte> destination)
        {
            lock (_lock)
                inner.Fill(destination);
        }
    }
}
