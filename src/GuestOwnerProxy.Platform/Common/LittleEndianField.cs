namespace GuestOwnerProxy.Platform;

/// <summary>
/// The simulator's one byte-order helper: firmware fields hold big integers little-endian, BouncyCastle
/// takes them big-endian. Kept apart from the guest-owner code on purpose (the simulator is written from
/// the spec on its own).
/// </summary>
internal static class LittleEndianField
{
    /// <summary>Writes a big-endian integer reversed into a zero-filled field.</summary>
    public static void Write(Span<byte> field, ReadOnlySpan<byte> bigEndian)
    {
        field.Clear();
        for (int i = 0; i < bigEndian.Length; i++)
            field[i] = bigEndian[bigEndian.Length - 1 - i];
    }

    /// <summary>Reads <paramref name="size"/> little-endian bytes as a big-endian array.</summary>
    public static byte[] Read(ReadOnlySpan<byte> field, int size)
    {
        byte[] be = field[..size].ToArray();
        Array.Reverse(be);
        return be;
    }
}
