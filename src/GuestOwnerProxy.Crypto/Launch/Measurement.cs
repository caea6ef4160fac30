using System.Buffers.Binary;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// The HMAC input layouts firmware is known or believed to use for LAUNCH_MEASURE
///. Every one is keyed by the per-session TIK, so accepting a small fixed set
/// lets nobody forge a measurement.
/// </summary>
public enum MeasurementFormula
{
    /// <summary>AMD, API ≥ 0.17: 0x04 ‖ major ‖ minor ‖ build(1) ‖ policy ‖ LD ‖ mnonce.</summary>
    Sev,
    /// <summary>CSV as in csv-rs: 0x04 ‖ major ‖ minor ‖ policy ‖ LD ‖ mnonce.</summary>
    CsvNoBuild,
    /// <summary>CSV with AMD's one build byte (build &amp; 0xff).</summary>
    CsvBuild8,
    /// <summary>CSV with the 32-bit build id, little-endian.</summary>
    CsvBuild32,
}

/// <summary>Firmware facts the measurement covers, as reported by the client.</summary>
public readonly record struct MeasurementParameters(int ApiMajor, int ApiMinor, long BuildId, uint Policy);

public static class MeasurementFormulas
{
    private static readonly Dictionary<string, MeasurementFormula> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sev"] = MeasurementFormula.Sev,
        ["csv-no-build"] = MeasurementFormula.CsvNoBuild,
        ["csv-build8"] = MeasurementFormula.CsvBuild8,
        ["csv-build32"] = MeasurementFormula.CsvBuild32,
    };

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static string Name(MeasurementFormula formula) => ByName.First(kv => kv.Value == formula).Key;

    public static bool TryParse(string? name, out MeasurementFormula formula)
    {
        formula = default;
        return name is not null && ByName.TryGetValue(name.Trim(), out formula);
    }

    public static MeasurementFormula Parse(string? name) => TryParse(name, out var f)
        ? f
        : throw new CryptoFormatException(name is null
            ? $"measurement formula missing (known: {string.Join(", ", ByName.Keys)})"
            : $"unknown measurement formula '{name}' (known: {string.Join(", ", ByName.Keys)})");

    /// <summary>
    /// The largest claimed build id a match under the formula authenticates, or null when it authenticates
    /// none. csv-build32 puts the whole 32-bit id into the HMAC input. csv-no-build puts none of it there.
    /// csv-build8 keeps only the firmware's low byte: a claim of 15 measures like real builds 271, 527, 1807...
    /// and Hygon build ids are large, so it proves nothing about the firmware's build. AMD's formula has one
    /// build byte too, but there the build id is one byte by the API: an id above 255 cannot even be encoded.
    /// API major/minor and the policy are covered by every formula.
    /// </summary>
    public static long? LargestCoveredBuildId(MeasurementFormula formula) => formula switch
    {
        MeasurementFormula.Sev => byte.MaxValue,
        MeasurementFormula.CsvBuild32 => uint.MaxValue,
        _ => null,
    };

    /// <summary>True when a measurement matched under this formula authenticates the whole claimed build id.</summary>
    public static bool CoversBuildId(MeasurementFormula formula, long buildId) =>
        LargestCoveredBuildId(formula) is { } largest && buildId >= 0 && buildId <= largest;

    public static PlatformKind PlatformOf(MeasurementFormula formula) =>
        formula == MeasurementFormula.Sev ? PlatformKind.Sev : PlatformKind.Csv;

    /// <summary>All candidates for a platform: the single AMD formula, or every open CSV candidate.</summary>
    public static IReadOnlyList<MeasurementFormula> DefaultsFor(PlatformKind platform) => platform == PlatformKind.Sev
        ? [MeasurementFormula.Sev]
        : [MeasurementFormula.CsvNoBuild, MeasurementFormula.CsvBuild8, MeasurementFormula.CsvBuild32];
}

/// <summary>The 48-byte LAUNCH_MEASURE blob: measure(32) ‖ mnonce(16).</summary>
public sealed class LaunchMeasurement
{
    public const int Size = 48;
    public const int MeasureSize = 32;
    public const int MnonceSize = 16;
    public const int DigestSize = 32;
    private const byte MeasureContext = 0x04;

    private LaunchMeasurement(byte[] measure, byte[] mnonce)
    {
        Measure = measure;
        Mnonce = mnonce;
    }

    public byte[] Measure { get; }
    public byte[] Mnonce { get; }

    public static LaunchMeasurement Parse(ReadOnlySpan<byte> blob)
    {
        if (blob.Length != Size)
            throw new CryptoFormatException($"launch measurement must be {Size} bytes (measure 32 + mnonce 16), got {blob.Length}");
        return new LaunchMeasurement(blob[..MeasureSize].ToArray(), blob[MeasureSize..].ToArray());
    }

    /// <summary>The 32-byte measure the firmware computes for a given formula.</summary>
    public static byte[] ComputeMeasure(
        ILaunchCrypto crypto,
        MeasurementFormula formula,
        ReadOnlySpan<byte> tik,
        MeasurementParameters parameters,
        ReadOnlySpan<byte> launchDigest,
        ReadOnlySpan<byte> mnonce)
    {
        if (MeasurementFormulas.PlatformOf(formula) != crypto.Platform)
            throw new ArgumentException($"formula {formula} does not belong to platform {crypto.Platform}");
        if (launchDigest.Length != 32)
            throw new CryptoFormatException($"launch digest must be 32 bytes, got {launchDigest.Length}");
        if (mnonce.Length != MnonceSize)
            throw new CryptoFormatException($"mnonce must be {MnonceSize} bytes, got {mnonce.Length}");
        CheckByte("API major", parameters.ApiMajor);
        CheckByte("API minor", parameters.ApiMinor);

        Span<byte> input = stackalloc byte[1 + 2 + 4 + 4 + 32 + MnonceSize];
        int o = 0;
        input[o++] = MeasureContext;
        input[o++] = (byte)parameters.ApiMajor;
        input[o++] = (byte)parameters.ApiMinor;
        switch (formula)
        {
            case MeasurementFormula.Sev:
                CheckByte("build id", parameters.BuildId);
                input[o++] = (byte)parameters.BuildId;
                break;
            case MeasurementFormula.CsvBuild8:
                input[o++] = (byte)(parameters.BuildId & 0xff);
                break;
            case MeasurementFormula.CsvBuild32:
                if (parameters.BuildId is < 0 or > uint.MaxValue)
                    throw new CryptoFormatException($"build id {parameters.BuildId} does not fit in 32 bits");
                BinaryPrimitives.WriteUInt32LittleEndian(input[o..], (uint)parameters.BuildId);
                o += 4;
                break;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(input[o..], parameters.Policy);
        o += 4;
        launchDigest.CopyTo(input[o..]);
        o += 32;
        mnonce.CopyTo(input[o..]);
        o += MnonceSize;
        return crypto.Mac(tik, input[..o]);
    }

    private static void CheckByte(string field, long value)
    {
        if (value is < 0 or > 255)
            throw new CryptoFormatException($"{field} {value} does not fit the measurement's one-byte field (0..255)");
    }
}
