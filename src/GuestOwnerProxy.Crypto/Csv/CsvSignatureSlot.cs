namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>
/// One signature slot of a CSV platform certificate: which key signed (by usage) and r, s as
/// big-endian 32-byte integers. Slots are matched by usage, never by position.
/// </summary>
public sealed class CsvSignatureSlot
{
    private readonly byte[] _r;
    private readonly byte[] _s;

    public CsvSignatureSlot(CsvUsage usage, CsvAlgorithm algorithm, ReadOnlySpan<byte> r, ReadOnlySpan<byte> s)
    {
        if (r.Length != Sm2.ScalarSize || s.Length != Sm2.ScalarSize)
            throw new ArgumentException($"r and s must be {Sm2.ScalarSize} bytes each");
        Usage = usage;
        Algorithm = algorithm;
        _r = r.ToArray();
        _s = s.ToArray();
    }

    /// <summary>The empty slot: usage 0x1000, algorithm 0, r = s = 0.</summary>
    public static CsvSignatureSlot Empty { get; } =
        new(CsvUsage.Invalid, CsvAlgorithm.None, new byte[Sm2.ScalarSize], new byte[Sm2.ScalarSize]);

    /// <summary>Usage of the key that made this signature (e.g. <see cref="CsvUsage.Cek"/> in a PEK).</summary>
    public CsvUsage Usage { get; }
    public CsvAlgorithm Algorithm { get; }
    public ReadOnlySpan<byte> R => _r;
    public ReadOnlySpan<byte> S => _s;
    public bool IsEmpty => Usage == CsvUsage.Invalid || Algorithm == CsvAlgorithm.None;

    public override string ToString() => IsEmpty ? "empty" : $"signed by usage 0x{(uint)Usage:x4} ({Usage}), algorithm {(uint)Algorithm}";
}
