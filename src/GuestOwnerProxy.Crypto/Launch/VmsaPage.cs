using System.Buffers.Binary;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Crypto.Launch;

/// <summary>
/// Byte offsets in <c>struct sev_es_save_area</c> that QEMU/KVM's initial vCPU state sets (spec sev-es.md §3);
/// every other byte of the page is zero. The one place these offsets live.
/// </summary>
internal static class VmsaOffsets
{
    public const int Es = 0x000, Cs = 0x010, Ss = 0x020, Ds = 0x030, Fs = 0x040, Gs = 0x050;
    public const int Gdtr = 0x060, Ldtr = 0x070, Idtr = 0x080, Tr = 0x090;
    public const int SegmentSize = 16;
    // Within a segment: u16 selector ‖ u16 attrib ‖ u32 limit ‖ u64 base.
    public const int SegmentSelector = 0, SegmentAttrib = 2, SegmentLimit = 4, SegmentBase = 8;

    public const int Efer = 0x0d0;
    public const int Cr4 = 0x148;
    public const int Cr0 = 0x158;
    public const int Dr7 = 0x160;
    public const int Dr6 = 0x168;
    public const int Rflags = 0x170;
    public const int Rip = 0x178;
    public const int GPat = 0x268;
    public const int Rdx = 0x310;
    public const int SevFeatures = 0x3b0;
    public const int Xcr0 = 0x3e8;
    public const int Mxcsr = 0x408;
    public const int X87Fcw = 0x410;
}

/// <summary>A VMSA segment register: selector, attributes, limit, base.</summary>
public readonly record struct VmsaSegment(ushort Selector, ushort Attrib, uint Limit, ulong Base);

/// <summary>The fields of one VMSA page that QEMU's initial state sets, read back from 4096 bytes.</summary>
public sealed record VmsaPageFields(
    IReadOnlyList<(string Name, VmsaSegment Segment)> Segments,
    IReadOnlyList<(string Name, ulong Value)> Registers,
    uint VcpuSignature,
    ulong Rip,
    ulong CsBase,
    VmsaLayout? Layout,
    IReadOnlyList<int> UnexpectedNonZeroOffsets)
{
    /// <summary>The reset eip the page starts at: cs.base + rip.</summary>
    public ulong Eip => CsBase + Rip;

    /// <summary>True when the page is exactly what <see cref="VmsaPage.Build"/> writes for its eip, signature and layout.</summary>
    public bool IsInitialState => Layout is not null && UnexpectedNonZeroOffsets.Count == 0;
}

/// <summary>
/// The initial VMSA page of one SEV-ES/CSV2 vCPU as QEMU and KVM hand it to LAUNCH_UPDATE_VMSA. The firmware
/// measures the whole page, so every byte matters: the reset eip (BSP 0xfffffff0, APs the OVMF SEV-ES reset
/// block), the vCPU signature in rdx, and the layout of the host kernel.
/// </summary>
public static class VmsaPage
{
    public const int Size = 4096;

    /// <summary>Where the BSP starts: the x86 reset vector.</summary>
    public const uint BspEip = 0xfffffff0;

    private const ushort DataAttrib = 0x93, CodeAttrib = 0x9b, LdtrAttrib = 0x82, TrAttrib = 0x8b;
    private const ushort CodeSelector = 0xf000;
    private const uint SegmentLimit = 0xffff;
    private const ulong EferSvme = 0x1000, Cr4Mce = 0x40, Cr0Et = 0x10, Dr7Reset = 0x400, Dr6Reset = 0xffff0ff0;
    private const ulong RflagsReset = 0x2, GPatReset = 0x0007040600070406, Xcr0Reset = 0x1;
    private const uint MxcsrReset = 0x1f80;
    private const ushort FcwReset = 0x37f;

    private static readonly (string Name, int Offset)[] SegmentFields =
    [
        ("es", VmsaOffsets.Es), ("cs", VmsaOffsets.Cs), ("ss", VmsaOffsets.Ss), ("ds", VmsaOffsets.Ds),
        ("fs", VmsaOffsets.Fs), ("gs", VmsaOffsets.Gs), ("gdtr", VmsaOffsets.Gdtr), ("ldtr", VmsaOffsets.Ldtr),
        ("idtr", VmsaOffsets.Idtr), ("tr", VmsaOffsets.Tr),
    ];

    private static readonly (string Name, int Offset)[] RegisterFields =
    [
        ("efer", VmsaOffsets.Efer), ("cr4", VmsaOffsets.Cr4), ("cr0", VmsaOffsets.Cr0), ("dr7", VmsaOffsets.Dr7),
        ("dr6", VmsaOffsets.Dr6), ("rflags", VmsaOffsets.Rflags), ("rip", VmsaOffsets.Rip), ("g_pat", VmsaOffsets.GPat),
        ("rdx", VmsaOffsets.Rdx), ("sev_features", VmsaOffsets.SevFeatures), ("xcr0", VmsaOffsets.Xcr0),
    ];

    /// <summary>The page for a vCPU that starts at <paramref name="eip"/>.</summary>
    public static byte[] Build(uint eip, uint vcpuSignature, VmsaLayout layout)
    {
        var page = new byte[Size];
        Write(page, eip, vcpuSignature, layout);
        return page;
    }

    /// <summary>The BSP's page (vCPU 0) or an AP's (any other), given the firmware's AP reset eip.</summary>
    public static byte[] ForVcpu(int cpu, uint apResetEip, uint vcpuSignature, VmsaLayout layout) =>
        Build(cpu == 0 ? BspEip : apResetEip, vcpuSignature, layout);

    public static void Write(Span<byte> page, uint eip, uint vcpuSignature, VmsaLayout layout)
    {
        if (page.Length != Size)
            throw new ArgumentException($"a VMSA page is {Size} bytes, got {page.Length}", nameof(page));
        page.Clear();
        foreach (var (name, offset) in SegmentFields)
        {
            var segment = name switch
            {
                "cs" => new VmsaSegment(CodeSelector, CodeAttrib, SegmentLimit, eip & 0xffff0000u),
                "es" or "ss" or "ds" or "fs" or "gs" => new VmsaSegment(0, DataAttrib, SegmentLimit, 0),
                "ldtr" => new VmsaSegment(0, LdtrAttrib, SegmentLimit, 0),
                "tr" => new VmsaSegment(0, TrAttrib, SegmentLimit, 0),
                _ => new VmsaSegment(0, 0, SegmentLimit, 0), // gdtr, idtr
            };
            WriteSegment(page[offset..], segment);
        }
        U64(page, VmsaOffsets.Efer, EferSvme);
        U64(page, VmsaOffsets.Cr4, Cr4Mce);
        U64(page, VmsaOffsets.Cr0, Cr0Et);
        U64(page, VmsaOffsets.Dr7, Dr7Reset);
        U64(page, VmsaOffsets.Dr6, Dr6Reset);
        U64(page, VmsaOffsets.Rflags, RflagsReset);
        U64(page, VmsaOffsets.Rip, eip & 0xffffu);
        U64(page, VmsaOffsets.GPat, GPatReset);
        U64(page, VmsaOffsets.Rdx, vcpuSignature);
        U64(page, VmsaOffsets.SevFeatures, 0); // SEV-ES: no SNP features
        U64(page, VmsaOffsets.Xcr0, Xcr0Reset);
        if (layout == VmsaLayout.Init2)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(page[VmsaOffsets.Mxcsr..], MxcsrReset);
            BinaryPrimitives.WriteUInt16LittleEndian(page[VmsaOffsets.X87Fcw..], FcwReset);
        }
    }

    /// <summary>Reads the fields back; the layout is recognised from mxcsr/fcw, and any byte that the initial
    /// state leaves zero but is not is reported (then the page is not QEMU's initial state).</summary>
    public static VmsaPageFields Describe(ReadOnlySpan<byte> page)
    {
        if (page.Length != Size)
            throw new CryptoFormatException($"a VMSA page is {Size} bytes, got {page.Length}");
        var segments = new List<(string, VmsaSegment)>();
        foreach (var (name, offset) in SegmentFields)
            segments.Add((name, ReadSegment(page.Slice(offset, VmsaOffsets.SegmentSize))));
        var list = new List<(string, ulong)>();
        foreach (var (name, offset) in RegisterFields)
            list.Add((name, BinaryPrimitives.ReadUInt64LittleEndian(page[offset..])));
        uint mxcsr = BinaryPrimitives.ReadUInt32LittleEndian(page[VmsaOffsets.Mxcsr..]);
        ushort fcw = BinaryPrimitives.ReadUInt16LittleEndian(page[VmsaOffsets.X87Fcw..]);
        list.Add(("mxcsr", mxcsr));
        list.Add(("x87_fcw", fcw));
        VmsaLayout? layout = (mxcsr, fcw) switch
        {
            (0, 0) => VmsaLayout.Legacy,
            (MxcsrReset, FcwReset) => VmsaLayout.Init2,
            _ => null,
        };
        ulong rdx = BinaryPrimitives.ReadUInt64LittleEndian(page[VmsaOffsets.Rdx..]);
        ulong rip = BinaryPrimitives.ReadUInt64LittleEndian(page[VmsaOffsets.Rip..]);
        ulong csBase = BinaryPrimitives.ReadUInt64LittleEndian(page[(VmsaOffsets.Cs + VmsaOffsets.SegmentBase)..]);

        // Compare with the page this eip/signature/layout would give: the differences are what is not initial state.
        var unexpected = new List<int>();
        if (rdx <= uint.MaxValue && csBase + rip <= uint.MaxValue && layout is { } known)
        {
            var expected = Build((uint)(csBase + rip), (uint)rdx, known);
            for (int i = 0; i < Size; i++)
            {
                if (expected[i] != page[i])
                    unexpected.Add(i);
            }
        }
        else
        {
            unexpected.Add(rdx > uint.MaxValue ? VmsaOffsets.Rdx : layout is null ? VmsaOffsets.Mxcsr : VmsaOffsets.Rip);
        }
        return new VmsaPageFields(segments, list, (uint)rdx, rip, csBase, layout, unexpected);
    }

    private static void WriteSegment(Span<byte> at, VmsaSegment segment)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(at[VmsaOffsets.SegmentSelector..], segment.Selector);
        BinaryPrimitives.WriteUInt16LittleEndian(at[VmsaOffsets.SegmentAttrib..], segment.Attrib);
        BinaryPrimitives.WriteUInt32LittleEndian(at[VmsaOffsets.SegmentLimit..], segment.Limit);
        BinaryPrimitives.WriteUInt64LittleEndian(at[VmsaOffsets.SegmentBase..], segment.Base);
    }

    private static VmsaSegment ReadSegment(ReadOnlySpan<byte> at) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(at[VmsaOffsets.SegmentSelector..]),
        BinaryPrimitives.ReadUInt16LittleEndian(at[VmsaOffsets.SegmentAttrib..]),
        BinaryPrimitives.ReadUInt32LittleEndian(at[VmsaOffsets.SegmentLimit..]),
        BinaryPrimitives.ReadUInt64LittleEndian(at[VmsaOffsets.SegmentBase..]));

    private static void U64(Span<byte> page, int offset, ulong value) =>
        BinaryPrimitives.WriteUInt64LittleEndian(page[offset..], value);
}
