using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Sev;

namespace GuestOwnerProxy.Crypto.Tests.Sev;

/// <summary>The libcrypto P-384 path against .NET's ECDiffieHellman (an independent route into OpenSSL's key handling,
/// with all its checks) and against hand-made bad points.</summary>
public class P384Tests
{
    [Fact]
    public void TheNativePathIsInUseOnLinux()
    {
        // Falling back to the .NET path silently would triple a launch's CPU: this machine and CI have libcrypto.
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("GOP_P384_MANAGED") != "1")
            Assert.True(P384.IsNative, "libcrypto.so.3 / .so.1.1 could not be loaded or failed its self-test");
    }

    [Fact]
    public void PublicKeysAndSharedSecretsAgreeWithDotNet()
    {
        for (int i = 0; i < 20; i++)
        {
            using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
            var q = peer.ExportParameters(false).Q;
            var peerKey = P384PublicKey.Import(q.X, q.Y);

            using var own = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
            var ownParameters = own.ExportParameters(true);
            var d = ownParameters.D!;

            var (x, y) = P384.PublicKeyOf(d);
            Assert.Equal(ownParameters.Q.X, x);
            Assert.Equal(ownParameters.Q.Y, y);

            using var peerPublic = peer.PublicKey;
            var expected = own.DeriveRawSecretAgreement(peerPublic);
            Assert.Equal(expected, P384.SharedSecret(d, peerKey));
            Assert.Equal(expected, P384.ManagedSharedSecret(d, peerKey));
            if (P384.IsNative)
            {
                var (nx, ny) = P384.NativePublicKeyOf(d);
                Assert.Equal(x, nx);
                Assert.Equal(y, ny);
            }
            var (mx, my) = P384.ManagedPublicKeyOf(d);
            Assert.Equal(x, mx);
            Assert.Equal(y, my);
        }
    }

    [Fact]
    public void SmallScalarsGiveTheGeneratorAndItsDouble()
    {
        var one = new byte[48];
        one[^1] = 1;
        var (gx, gy) = P384.PublicKeyOf(one);
        Assert.Equal("aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7", Convert.ToHexStringLower(gx));
        Assert.Equal("3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f", Convert.ToHexStringLower(gy));
        var two = new byte[48];
        two[^1] = 2;
        var g = P384PublicKey.Import(gx, gy);
        Assert.Equal(P384.PublicKeyOf(two).X, P384.SharedSecret(two, g));
    }

    [Fact]
    public void PointsOffTheCurveOrOutOfRangeAreRefused()
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var q = key.ExportParameters(false).Q;
        var y = (byte[])q.Y!.Clone();
        y[^1] ^= 1;
        Assert.Throws<CryptographicException>(() => P384PublicKey.Import(q.X, y));
        Assert.Throws<CryptographicException>(() => P384PublicKey.Import(new byte[48], new byte[48]));
        var prime = Convert.FromHexString("fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff");
        Assert.Throws<CryptographicException>(() => P384PublicKey.Import(prime, q.Y));
        Assert.Throws<CryptographicException>(() => P384PublicKey.Import(q.X.AsSpan(1), q.Y));
        Assert.Throws<ArgumentException>(() => P384.PublicKeyOf(new byte[47]));
    }
}

/// <summary>libcrypto's ECDSA verification (the SEV chain's ECDSA links) against signatures made by .NET.</summary>
public class LibCryptoEcdsaTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(384)]
    public void Verifies_what_dotnet_signs_and_refuses_any_change(int bits)
    {
        var native = LibCrypto.Functions;
        if (native is null)
            return; // the .NET fallback is what runs then; TheNativePathIsInUseOnLinux guards Linux
        using var key = ECDsa.Create(bits == 256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
        var q = key.ExportParameters(false).Q;
        var message = new byte[1044];
        new Random(bits).NextBytes(message);
        foreach (var hash in new[] { HashAlgorithmName.SHA256, HashAlgorithmName.SHA384 })
        {
            var signature = key.SignData(message, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            byte[] digest = hash == HashAlgorithmName.SHA384 ? SHA384.HashData(message) : SHA256.HashData(message);
            int half = signature.Length / 2;
            Assert.True(native.VerifyEcdsa(q.X, q.Y, digest, signature.AsSpan(0, half), signature.AsSpan(half)));

            var badDigest = (byte[])digest.Clone();
            badDigest[0] ^= 1;
            Assert.False(native.VerifyEcdsa(q.X, q.Y, badDigest, signature.AsSpan(0, half), signature.AsSpan(half)));
            var badS = signature.AsSpan(half).ToArray();
            badS[^1] ^= 1;
            Assert.False(native.VerifyEcdsa(q.X, q.Y, digest, signature.AsSpan(0, half), badS));
            Assert.False(native.VerifyEcdsa(q.X, q.Y, digest, new byte[half], new byte[half]));
        }
        var offCurve = (byte[])q.Y!.Clone();
        offCurve[^1] ^= 1;
        Assert.Throws<CryptographicException>(() => native.VerifyEcdsa(q.X, offCurve, new byte[32], new byte[bits / 8], new byte[bits / 8]));
    }
}
