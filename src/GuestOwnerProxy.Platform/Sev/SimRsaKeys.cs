using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using BcBigInteger = Org.BouncyCastle.Math.BigInteger;

namespace GuestOwnerProxy.Platform.Sev;

/// <summary>
/// RSA keys for the simulated ARK/ASK. Seeded keys need BouncyCastle's generator fed by the seeded
/// stream (about a second per 2048-bit key, far more for 4096), so they are cached per process by
/// (SHA-256 of the seed, label, size); keys are immutable. Unseeded platforms use .NET's fast generator.
/// </summary>
internal static class SimRsaKeys
{
    private static readonly ConcurrentDictionary<string, Lazy<AsymmetricCipherKeyPair>> Cache = new();

    public static AsymmetricCipherKeyPair Seeded(ReadOnlySpan<byte> seed, string label, int bits)
    {
        string cacheKey = Convert.ToHexString(SHA256.HashData([.. seed, .. Encoding.ASCII.GetBytes($"/{label}/{bits}")]));
        byte[] seedCopy = seed.ToArray();
        var lazy = Cache.GetOrAdd(cacheKey, _ => new Lazy<AsymmetricCipherKeyPair>(() =>
        {
            try
            {
                return Generate(bits, new SimulatorSecureRandom(new DeterministicRandomSource(seedCopy, "sev/" + label)));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(seedCopy);
            }
        }));
        return lazy.Value;
    }

    public static AsymmetricCipherKeyPair Fresh(int bits)
    {
        using var rsa = RSA.Create(bits);
        return DotNetUtilities.GetRsaKeyPair(rsa.ExportParameters(true));
    }

    internal static AsymmetricCipherKeyPair Generate(int bits, SecureRandom random)
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new RsaKeyGenerationParameters(BcBigInteger.ValueOf(65537), random, bits, 100));
        return generator.GenerateKeyPair();
    }
}
