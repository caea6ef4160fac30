using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace GuestOwnerProxy.Platform.Csv;

/// <summary>SM2 on sm2p256v1 through BouncyCastle: keys, signatures with an explicit ID, C1C3C2 decryption.</summary>
internal static class Sm2Operations
{
    public const int ScalarSize = 32;
    /// <summary>0x04 ‖ x1 ‖ y1 ‖ C3 ‖ C2 for a 32-byte plaintext.</summary>
    public const int CiphertextSizeFor32 = 1 + 32 + 32 + 32 + 32;

    public static readonly ECDomainParameters Domain = CreateDomain();

    private static ECDomainParameters CreateDomain()
    {
        var x9 = CustomNamedCurves.GetByName("SM2P256V1"); // specialised field arithmetic, same curve
        return new ECDomainParameters(x9.Curve, x9.G, x9.N, x9.H, x9.GetSeed());
    }

    public static AsymmetricCipherKeyPair GenerateKeyPair(SecureRandom random)
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(Domain, random));
        return generator.GenerateKeyPair();
    }

    /// <summary>Signature as r ‖ s, each 32 bytes big-endian.</summary>
    public static byte[] Sign(ECPrivateKeyParameters key, string id, ReadOnlySpan<byte> message, SecureRandom random)
    {
        var signer = new SM2Signer(PlainDsaEncoding.Instance, new SM3Digest());
        signer.Init(true, new ParametersWithID(new ParametersWithRandom(key, random), System.Text.Encoding.ASCII.GetBytes(id)));
        signer.BlockUpdate(message);
        return signer.GenerateSignature();
    }

    public static bool Verify(ECPublicKeyParameters key, string id, ReadOnlySpan<byte> message, ReadOnlySpan<byte> rs)
    {
        var signer = new SM2Signer(PlainDsaEncoding.Instance, new SM3Digest());
        signer.Init(false, new ParametersWithID(key, System.Text.Encoding.ASCII.GetBytes(id)));
        signer.BlockUpdate(message);
        try
        {
            return signer.VerifySignature(rs.ToArray());
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Builds a public key from big-endian coordinates, rejecting points not on the curve.</summary>
    public static ECPublicKeyParameters PublicKey(ReadOnlySpan<byte> xBigEndian, ReadOnlySpan<byte> yBigEndian)
    {
        var point = Domain.Curve.ValidatePoint(
            new BigInteger(1, xBigEndian.ToArray()), new BigInteger(1, yBigEndian.ToArray()));
        return new ECPublicKeyParameters(point, Domain);
    }

    /// <summary>SM2 decryption, ciphertext 0x04 ‖ C1 ‖ C3 ‖ C2. Throws InvalidCipherTextException when C3 does not match.</summary>
    public static byte[] Decrypt(ECPrivateKeyParameters key, ReadOnlySpan<byte> ciphertext)
    {
        var engine = new SM2Engine(new SM3Digest(), SM2Engine.Mode.C1C3C2);
        engine.Init(false, key);
        byte[] c = ciphertext.ToArray();
        return engine.ProcessBlock(c, 0, c.Length);
    }

    public static byte[] X(ECPublicKeyParameters key) => key.Q.Normalize().AffineXCoord.GetEncoded();

    public static byte[] Y(ECPublicKeyParameters key) => key.Q.Normalize().AffineYCoord.GetEncoded();

}
