using GuestOwnerProxy.Crypto.Common;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;

namespace GuestOwnerProxy.Platform;

/// <summary>
/// Presents an <see cref="IRandomSource"/> as a BouncyCastle <see cref="SecureRandom"/>, so that BouncyCastle
/// key generation and signing (SM2, RSA-PSS salts) draw from the simulator's seeded stream.
/// </summary>
public sealed class SimulatorSecureRandom : SecureRandom
{
    public SimulatorSecureRandom(IRandomSource source) : base(new Generator(source)) { }

    private sealed class Generator(IRandomSource source) : IRandomGenerator
    {
        // Seed material is ignored on purpose: output must depend only on the source.
        public void AddSeedMaterial(byte[] seed) { }
        public void AddSeedMaterial(ReadOnlySpan<byte> seed) { }
        public void AddSeedMaterial(long seed) { }
        public void NextBytes(byte[] bytes) => source.Fill(bytes);
        public void NextBytes(byte[] bytes, int start, int len) => source.Fill(bytes.AsSpan(start, len));
        public void NextBytes(Span<byte> bytes) => source.Fill(bytes);
    }
}
