using GuestOwnerProxy.Crypto.Common;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>
/// Presents an <see cref="IRandomSource"/> as the <see cref="SecureRandom"/> BouncyCastle asks for
/// (SM2 key generation, encryption k, signature k), so that every random byte of a CSV session
/// comes from the one seam tests can fix. Seeding is ignored: the source decides what it returns.
/// </summary>
public sealed class CsvSecureRandom : SecureRandom
{
    private readonly IRandomSource _source;

    public CsvSecureRandom(IRandomSource source)
        : base(new SourceGenerator(source ?? throw new ArgumentNullException(nameof(source))))
    {
        _source = source;
    }

    public override void NextBytes(byte[] buffer) => _source.Fill(buffer);

    public override void NextBytes(byte[] buffer, int start, int length) => _source.Fill(buffer.AsSpan(start, length));

    public override void NextBytes(Span<byte> buffer) => _source.Fill(buffer);

    public override byte[] GenerateSeed(int length)
    {
        var seed = new byte[length];
        _source.Fill(seed);
        return seed;
    }

    public override void GenerateSeed(Span<byte> seed) => _source.Fill(seed);

    public override void SetSeed(byte[] seed) { }

    public override void SetSeed(Span<byte> seed) { }

    public override void SetSeed(long seed) { }

    private sealed class SourceGenerator(IRandomSource source) : IRandomGenerator
    {
        public void AddSeedMaterial(byte[] seed) { }
        public void AddSeedMaterial(ReadOnlySpan<byte> inSeed) { }
        public void AddSeedMaterial(long seed) { }
        public void NextBytes(byte[] bytes) => source.Fill(bytes);
        public void NextBytes(byte[] bytes, int start, int len) => source.Fill(bytes.AsSpan(start, len));
        public void NextBytes(Span<byte> bytes) => source.Fill(bytes);
    }
}
