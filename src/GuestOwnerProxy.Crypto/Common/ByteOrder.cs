namespace GuestOwnerProxy.Crypto.Common;

/// <summary>
/// Both vendors' firmware stores big integers (key coordinates, signature r/s, RSA moduli) little-endian,
/// while .NET and BouncyCastle take them big-endian: the one place that turns one into the other.
/// </summary>
internal static class ByteOrder
{
    /// <summary>A reversed copy: little-endian to big-endian or back.</summary>
    public static byte[] Reversed(ReadOnlySpan<byte> value)
    {
        var result = value.ToArray();
        result.AsSpan().Reverse();
        return result;
    }

    /// <summary>Writes <paramref name="source"/> reversed at the start of <paramref name="destination"/>.</summary>
    public static void CopyReversed(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        destination[..source.Length].Reverse();
    }
}
