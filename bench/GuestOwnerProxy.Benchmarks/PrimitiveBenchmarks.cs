using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using Org.BouncyCastle.Crypto.Parameters;

namespace GuestOwnerProxy.Benchmarks;

/// <summary>
/// The public-key operations a launch is made of, one at a time, for comparison with
/// <c>openssl speed sm2 ecdhp384 ecdsap384</c> (docs/benchmarks.md). SM2 runs on BouncyCastle; P-384 on .NET,
/// which calls the system OpenSSL on Linux.
/// </summary>
[MemoryDiagnoser]
public class PrimitiveBenchmarks
{
    private static readonly byte[] UserId = Encoding.ASCII.GetBytes("GUEST_USER_ID");
    private readonly byte[] _message = new byte[1044]; // a platform certificate's signed body
    private readonly byte[] _master = new byte[32];
    private ECPrivateKeyParameters _sm2Private = null!;
    private ECPublicKeyParameters _sm2Public = null!;
    private byte[] _r = [], _s = [];
    private ECDiffieHellman _ecdh = null!;
    private ECDiffieHellmanPublicKey _peer = null!;
    private ECDsa _ecdsa = null!;
    private byte[] _ecdsaSignature = [];

    [GlobalSetup]
    public void Setup()
    {
        new Random(3).NextBytes(_message);
        var keys = Sm2.GenerateKeyPair(SystemRandomSource.Instance);
        _sm2Private = (ECPrivateKeyParameters)keys.Private;
        _sm2Public = (ECPublicKeyParameters)keys.Public;
        (_r, _s) = Sm2.Sign(_sm2Private, UserId, _message, SystemRandomSource.Instance);

        _ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        using var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        _peer = other.PublicKey;
        _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        _ecdsaSignature = _ecdsa.SignData(_message, HashAlgorithmName.SHA256);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _peer.Dispose();
        _ecdh.Dispose();
        _ecdsa.Dispose();
    }

    [Benchmark(Description = "SM2 key generation")]
    public object Sm2KeyGeneration() => Sm2.GenerateKeyPair(SystemRandomSource.Instance);

    [Benchmark(Description = "SM2 sign (1044 bytes, with ZA)")]
    public byte[] Sm2Sign() => Sm2.Sign(_sm2Private, UserId, _message, SystemRandomSource.Instance).R;

    [Benchmark(Description = "SM2 verify (1044 bytes, with ZA)")]
    public bool Sm2Verify() => Sm2.Verify(_sm2Public, UserId, _message, _r, _s);

    /// <summary>As the chain verifier and the session builder see keys: parsed afresh, so BouncyCastle's per-point
    /// precomputation (cached on the key object above) is rebuilt every time, as OpenSSL does for non-generator points.</summary>
    [Benchmark(Description = "SM2 verify, fresh key object")]
    public bool Sm2VerifyFreshKey() => Sm2.Verify(FreshPublicKey(), UserId, _message, _r, _s);

    [Benchmark(Description = "SM2 encrypt 32 bytes, fresh key object")]
    public byte[] Sm2EncryptFreshKey() => Sm2.Encrypt(FreshPublicKey(), _master, SystemRandomSource.Instance);

    private ECPublicKeyParameters FreshPublicKey()
    {
        var (x, y) = Sm2.ExportPublicKey(_sm2Public);
        return Sm2.CreatePublicKey(x, y);
    }

    [Benchmark(Description = "SM2 encrypt 32 bytes")]
    public byte[] Sm2Encrypt() => Sm2.Encrypt(_sm2Public, _master, SystemRandomSource.Instance);

    [Benchmark(Description = "P-384 key generation")]
    public int P384KeyGeneration()
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        return key.ExportParameters(false).Q.X!.Length;
    }

    [Benchmark(Description = "P-384 ECDH derive")]
    public byte[] P384Ecdh() => _ecdh.DeriveRawSecretAgreement(_peer);

    [Benchmark(Description = "ECDSA P-384 verify (SHA-256)")]
    public bool P384Verify() => _ecdsa.VerifyData(_message, _ecdsaSignature, HashAlgorithmName.SHA256);
}
