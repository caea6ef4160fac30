using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// Which initial VMSA the host kernel writes for an SEV-ES/CSV2 vCPU. It depends on the host's kernel (not on
/// the guest), so it is chosen explicitly per image: the two differ in exactly the mxcsr and x87 control-word bytes.
/// </summary>
public enum VmsaLayout
{
    /// <summary>KVM_SEV_ES_INIT kernels (before 6.10; kata's CCv0 era, sevctl): mxcsr and fcw left zero.</summary>
    Legacy,
    /// <summary>KVM_SEV_INIT2 kernels (6.10 and later, QEMU's model in sev-snp-measure): mxcsr 0x1f80, fcw 0x37f.</summary>
    Init2,
}

public static class VmsaLayouts
{
    public const string LegacyName = "legacy";
    public const string Init2Name = "init2";

    public static IReadOnlyList<string> Names { get; } = [LegacyName, Init2Name];

    public static string Name(VmsaLayout layout) => layout == VmsaLayout.Legacy ? LegacyName : Init2Name;

    public static bool TryParse(string? text, out VmsaLayout layout)
    {
        layout = default;
        switch (text?.Trim().ToLowerInvariant())
        {
            case LegacyName: layout = VmsaLayout.Legacy; return true;
            case Init2Name: layout = VmsaLayout.Init2; return true;
            default: return false;
        }
    }

    public static VmsaLayout Parse(string? text) => TryParse(text, out var layout)
        ? layout
        : throw new CryptoFormatException($"unknown VMSA layout '{text}' (known: {string.Join(", ", Names)})");
}
