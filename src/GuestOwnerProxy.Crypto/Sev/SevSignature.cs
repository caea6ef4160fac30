namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>One signature slot of a platform certificate. <see cref="Data"/> is the raw 512-byte area as stored
/// (ECDSA: R[72] ‖ S[72] little-endian; RSA: the signature byte-reversed).</summary>
public sealed class SevSignature
{
    private readonly byte[] _data;

    internal SevSignature(uint usage, uint algorithm, byte[] data)
    {
        RawUsage = usage;
        RawAlgorithm = algorithm;
        _data = data;
    }

    public uint RawUsage { get; }
    public uint RawAlgorithm { get; }
    public SevUsage Usage => (SevUsage)RawUsage;
    public SevAlgorithm Algorithm => (SevAlgorithm)RawAlgorithm;
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>Firmware marks unused slots with usage 0x1000 and algorithm 0.</summary>
    public bool IsEmpty => RawUsage == (uint)SevUsage.Invalid || RawAlgorithm == 0;

    public override string ToString() => IsEmpty
        ? "empty"
        : $"{SevIds.UsageName(RawUsage)} 0x{RawUsage:x}, algorithm 0x{RawAlgorithm:x}";
}
