using System.Buffers.Binary;

namespace GuestOwnerProxy.Platform;

/// <summary>Which initial save area the simulated host kernel writes (the two kernels in the field).</summary>
public enum SimulatedVmsaLayout
{
    /// <summary>KVM_SEV_ES_INIT: mxcsr and the x87 control word stay zero.</summary>
    EsInit,
    /// <summary>KVM_SEV_INIT2: mxcsr 0x1f80, x87 control word 0x37f.</summary>
    Init2,
}

/// <summary>
/// The host side of an SEV-ES/CSV2 launch as QEMU and KVM play it: the initial save area of each vCPU handed to
/// LAUNCH_UPDATE_VMSA, and the AP start address QEMU reads from the firmware's SEV-ES reset block. Written from the
/// spec (sev-es.md §3, AMD APM vol. 2 table B-4 "VMSA layout"), independently of the guest-owner code.
/// </summary>
public static class SimulatedVcpuState
{
    private static readonly Guid FooterTableGuid = new("96b582de-1fb2-45f7-baea-a366c55a082d");
    private static readonly Guid ResetBlockGuid = new("00f771de-1a7e-4fcb-890e-68c77e2fb44e");

    /// <summary>
    /// The save area of vCPU <paramref name="index"/>: the BSP starts at the reset vector 0xfffffff0, every AP at
    /// <paramref name="apStart"/>. CPUID 1's EAX (the signature) is in rdx, as after a hardware reset.
    /// </summary>
    public static byte[] SaveArea(int index, uint apStart, uint cpuidSignature, SimulatedVmsaLayout layout)
    {
        uint start = index == 0 ? 0xfffffff0u : apStart;
        var area = new byte[4096];
        // Segment registers, 16 bytes each at 0x00..0x9f: selector u16, attributes u16, limit u32, base u64.
        void Segment(int at, ushort selector, ushort attributes, ulong baseAddress)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(area.AsSpan(at), selector);
            BinaryPrimitives.WriteUInt16LittleEndian(area.AsSpan(at + 2), attributes);
            BinaryPrimitives.WriteUInt32LittleEndian(area.AsSpan(at + 4), 0xffff);
            BinaryPrimitives.WriteUInt64LittleEndian(area.AsSpan(at + 8), baseAddress);
        }
        Segment(0x00, 0, 0x93, 0);                         // es
        Segment(0x10, 0xf000, 0x9b, start & 0xffff0000u);  // cs: real mode, base from the start address
        Segment(0x20, 0, 0x93, 0);                         // ss
        Segment(0x30, 0, 0x93, 0);                         // ds
        Segment(0x40, 0, 0x93, 0);                         // fs
        Segment(0x50, 0, 0x93, 0);                         // gs
        Segment(0x60, 0, 0, 0);                            // gdtr
        Segment(0x70, 0, 0x82, 0);                         // ldtr
        Segment(0x80, 0, 0, 0);                            // idtr
        Segment(0x90, 0, 0x8b, 0);                         // tr
        void Quad(int at, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(area.AsSpan(at), value);
        Quad(0xd0, 0x1000);                  // efer.SVME
        Quad(0x148, 0x40);                   // cr4.MCE
        Quad(0x158, 0x10);                   // cr0.ET
        Quad(0x160, 0x400);                  // dr7
        Quad(0x168, 0xffff0ff0);             // dr6
        Quad(0x170, 0x2);                    // rflags
        Quad(0x178, start & 0xffff);         // rip
        Quad(0x268, 0x0007040600070406);     // g_pat
        Quad(0x310, cpuidSignature);         // rdx
        Quad(0x3e8, 0x1);                    // xcr0
        if (layout == SimulatedVmsaLayout.Init2)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(area.AsSpan(0x408), 0x1f80);  // mxcsr
            BinaryPrimitives.WriteUInt16LittleEndian(area.AsSpan(0x410), 0x37f);   // x87 fcw
        }
        return area;
    }

    /// <summary>
    /// QEMU's lookup of the SEV-ES reset block in the OVMF footer table (the table ends 32 bytes before the end of
    /// the image: entries of data ‖ u16 length ‖ GUID, walked backwards from the footer entry). Null when absent:
    /// then QEMU refuses to start an SEV-ES guest.
    /// </summary>
    public static uint? ApStartFromFirmware(ReadOnlySpan<byte> firmware)
    {
        int end = firmware.Length - 32;
        if (end < 18 || new Guid(firmware.Slice(end - 16, 16)) != FooterTableGuid)
            return null;
        int tableLength = BinaryPrimitives.ReadUInt16LittleEndian(firmware.Slice(end - 18, 2));
        int tableStart = end - tableLength;
        if (tableStart < 0)
            return null;
        int at = end - 18; // past the footer entry itself
        while (at - 18 >= tableStart)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(firmware.Slice(at - 18, 2));
            var guid = new Guid(firmware.Slice(at - 16, 16));
            if (length < 18 || at - length < tableStart)
                return null;
            if (guid == ResetBlockGuid && length >= 22)
                return BinaryPrimitives.ReadUInt32LittleEndian(firmware.Slice(at - length, 4));
            at -= length;
        }
        return null;
    }
}
