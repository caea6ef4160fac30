namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>GUIDs of the launch formats. Serialized with <see cref="Guid.ToByteArray()"/>, which is the
/// EFI mixed-endian layout QEMU, OVMF and Linux use.</summary>
public static class KnownGuids
{
    // Kernel hashes table (QEMU SevHashTable) and its entries.
    public static readonly Guid HashTableHeader = new("9438d606-4f22-4cc9-b479-a793d411fd21");
    public static readonly Guid CmdlineEntry = new("97d02dd8-bd20-4c94-aa78-e7714d36ab2a");
    public static readonly Guid InitrdEntry = new("44baf731-3a2f-4bd7-9af1-41e29169781d");
    public static readonly Guid KernelEntry = new("4de79437-abd2-427f-b835-d5b172d2045b");

    // OVMF footer GUID table.
    public static readonly Guid OvmfTableFooter = new("96b582de-1fb2-45f7-baea-a366c55a082d");
    public static readonly Guid OvmfKernelHashesArea = new("7255371f-3a3b-4b04-927b-1da6efa8d454");
    public static readonly Guid OvmfSecretArea = new("4c2eb361-7d9b-4cc3-8081-127c90d3d294");
    public static readonly Guid OvmfSevEsResetBlock = new("00f771de-1a7e-4fcb-890e-68c77e2fb44e");

    // Secret table (Linux efi_secret) and well-known entries.
    public static readonly Guid SecretTableHeader = new("1e74f542-71dd-4d66-963e-ef4287ff173b");
    /// <summary>Keyset bundle read by the guest's offline KBC: JSON {"key id": "base64", ...}.</summary>
    public static readonly Guid KeysetBundle = new("e6f5a162-d67f-4750-a67c-5d065f2a9910");
    public static readonly Guid DiskPassphrase = new("736869e5-84f0-4973-92ec-06879ce3da0b");
    public static readonly Guid OnlineKbcConnection = new("1ee27366-0c87-43a6-af48-28543eaf7cb0");
}
