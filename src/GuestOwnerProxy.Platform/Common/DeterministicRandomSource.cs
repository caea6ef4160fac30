using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Platform;

/// <summary>
/// A small deterministic generator for the simulator's long-term keys: block i = HMAC-SHA256(K, u64be(i)),
/// K = HMAC-SHA256(seed, "gop-simulator/" ‖ label). One instance per key (label), so a key depends
/// only on the seed and its label, not on how many bytes other keys happened to consume.
/// NOT a production DRBG: it exists to make development roots reproducible.
/// </summary>
public sealed class DeterministicRandomSource : IRandomSource
{
    private readonly byte[] _key;
    private readonly byte[] _block = new byte[32];
    private ulong _counter;
    private int _available;

    public DeterministicRandomSource(ReadOnlySpan<byte> seed, string label)
    {
        if (seed.IsEmpty)
            throw new ArgumentException("seed must not be empty", nameof(seed));
        _key = HMACSHA256.HashData(seed, Encoding.ASCII.GetBytes("gop-simulator/" + label));
    }

    public void Fill(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            if (_available == 0)
                Refill();
            int take = Math.Min(_available, destination.Length);
            _block.AsSpan(_block.Length - _available, take).CopyTo(destination);
            _available -= take;
            destination = destination[take..];
        }
    }

    private void Refill()
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(counter, _counter++);
        HMACSHA256.HashData(_key, counter, _block);
        _available = _block.Length;
    }
}
