using System.Globalization;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// The vCPU signature (CPUID Fn0000_0001_EAX) QEMU puts in each VMSA's rdx: from a QEMU CPU model name,
/// from family/model/stepping, or given raw.
/// </summary>
public static class VcpuSignature
{
    private static readonly (string Name, int Family, int Model, int Stepping, bool Confirmed)[] Models =
    [
        ("EPYC", 23, 1, 2, true), ("EPYC-v1", 23, 1, 2, true), ("EPYC-v2", 23, 1, 2, true), ("EPYC-IBPB", 23, 1, 2, true),
        ("EPYC-v3", 23, 1, 2, true), ("EPYC-v4", 23, 1, 2, true),
        ("EPYC-Rome", 23, 49, 0, true), ("EPYC-Rome-v1", 23, 49, 0, true), ("EPYC-Rome-v2", 23, 49, 0, true),
        ("EPYC-Rome-v3", 23, 49, 0, true), ("EPYC-Rome-v4", 23, 49, 0, true),
        ("EPYC-Milan", 25, 1, 1, true), ("EPYC-Milan-v1", 25, 1, 1, true), ("EPYC-Milan-v2", 25, 1, 1, true),
        ("EPYC-Genoa", 25, 17, 0, true), ("EPYC-Genoa-v1", 25, 17, 0, true),
        ("EPYC-Turin", 26, 0, 0, true), // as sev-snp-measure 0.0.13 lists it
        // Hygon: QEMU's Dhyana is family 0x18, model 0, stepping 1; the signature follows from the formula, but no
        // public CSV2 launch confirms that Hygon firmware measures it this way.
        ("Dhyana", 24, 0, 1, false), ("Dhyana-v1", 24, 0, 1, false), ("Dhyana-v2", 24, 0, 1, false),
    ];

    /// <summary>The QEMU model names this build knows, in QEMU's order.</summary>
    public static IReadOnlyList<string> KnownModels { get; } = Models.Select(m => m.Name).ToList();

    /// <summary>CPUID Fn0000_0001_EAX for a family, model and stepping (AMD CPUID spec #25481).</summary>
    public static uint FromFamilyModelStepping(int family, int model, int stepping)
    {
        if (family is < 0 or > 0xff + 0xf)
            throw new CryptoFormatException($"vCPU family {family} is out of range (0..{0xff + 0xf})");
        if (model is < 0 or > 0xff)
            throw new CryptoFormatException($"vCPU model {model} is out of range (0..255)");
        if (stepping is < 0 or > 0xf)
            throw new CryptoFormatException($"vCPU stepping {stepping} is out of range (0..15)");
        uint familyLow = family > 0xf ? 0xfu : (uint)family;
        uint familyHigh = family > 0xf ? (uint)(family - 0xf) : 0;
        return (familyHigh << 20) | ((uint)(model >> 4) << 16) | (familyLow << 8) | ((uint)(model & 0xf) << 4) | (uint)stepping;
    }

    public static bool TryFromModel(string? name, out uint signature)
    {
        signature = 0;
        foreach (var m in Models)
        {
            if (string.Equals(m.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                signature = FromFamilyModelStepping(m.Family, m.Model, m.Stepping);
                return true;
            }
        }
        return false;
    }

    /// <exception cref="CryptoFormatException">an unknown name; the message lists the known ones.</exception>
    public static uint FromModel(string? name) => TryFromModel(name, out var sig)
        ? sig
        : throw new CryptoFormatException($"unknown vCPU type '{name}' (known: {string.Join(", ", KnownModels)})");

    /// <summary>False for models whose signature is derived, not confirmed by a measured launch (Hygon's Dhyana).</summary>
    public static bool IsConfirmedModel(string name) =>
        Models.Any(m => m.Confirmed && string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>A raw signature in hex ("0x800f12" or "800f12"), 32 bits.</summary>
    public static bool TryParseRaw(string? text, out uint signature)
    {
        signature = 0;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            t = t[2..];
        return t.Length is > 0 and <= 8 && uint.TryParse(t, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out signature);
    }

    public static uint ParseRaw(string? text) => TryParseRaw(text, out var sig)
        ? sig
        : throw new CryptoFormatException($"vCPU signature '{text}' is not a 32-bit hex value (e.g. 0x800f12)");

    public static string Format(uint signature) => $"0x{signature:x}";
}
