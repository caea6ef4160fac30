using System.Buffers.Binary;
using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Crypto.Tests.RoundTrip;

/// <summary>
/// Reproducible randomness for the round trips: every session, image and table comes from the base
/// seed and a label, so a failing session can be replayed by its label. Set GOP_ROUNDTRIP_SEED to
/// explore other sessions; failures report the seed in use.
/// </summary>
internal sealed class RoundTripRandom : IRandomSource
{
    public static string BaseSeed { get; } =
        Environment.GetEnvironmentVariable("GOP_ROUNDTRIP_SEED") is { Length: > 0 } s ? s : "gop round-trip tests";

    private readonly DeterministicRandomSource _source;

    public RoundTripRandom(string label)
    {
        Label = label;
        _source = new DeterministicRandomSource(Encoding.UTF8.GetBytes(BaseSeed), "round-trip/" + label);
    }

    public string Label { get; }

    public void Fill(Span<byte> destination) => _source.Fill(destination);

    public byte[] Bytes(int count)
    {
        var b = new byte[count];
        Fill(b);
        return b;
    }

    /// <summary>Uniform in [0, max) (rejection sampling, so small ranges are not biased).</summary>
    public int Next(int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        uint limit = uint.MaxValue - uint.MaxValue % (uint)max;
        Span<byte> b = stackalloc byte[4];
        while (true)
        {
            Fill(b);
            uint v = BinaryPrimitives.ReadUInt32LittleEndian(b);
            if (v < limit)
                return (int)(v % (uint)max);
        }
    }

    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    public bool Coin() => Next(2) == 1;

    public Guid Guid()
    {
        Guid g;
        do
            g = new Guid(Bytes(16));
        while (g == System.Guid.Empty);
        return g;
    }

    public override string ToString() => $"seed \"{BaseSeed}\", label \"{Label}\"";
}
