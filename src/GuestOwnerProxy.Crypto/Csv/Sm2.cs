using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Common;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Utilities;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>
/// SM2 on sm2p256v1 the way Hygon uses it: big-endian scalars in the maths, little-endian 72-byte
/// fields in certificates, and the signer's own user id as the SM2 ID. The library default ID
/// (<c>1234567812345678</c>) is never applied implicitly: every call takes the ID explicitly.
/// </summary>
public static class Sm2
{
    public const int ScalarSize = 32;

    /// <summary>C1C3C2 ciphertext overhead: 0x04 ‖ x1(32) ‖ y1(32) ‖ C3(32).</summary>
    public const int CiphertextOverhead = 1 + 2 * ScalarSize + 32;

    // CustomNamedCurves has BouncyCastle's specialised sm2p256v1 field arithmetic: the same curve as GMNamedCurves,
    // several times faster and with a tenth of the allocation per operation (measured in the load test).
    public static X9ECParameters Curve { get; } = CustomNamedCurves.GetByName("sm2p256v1");

    public static ECDomainParameters Domain { get; } = new(Curve);

    /// <summary>Reads a little-endian certificate field (first 32 bytes used) as a 32-byte big-endian integer.
    /// Bytes beyond the first 32 must be zero: a value that does not fit is not a valid coordinate or scalar,
    /// and silently dropping the tail would let two different byte strings carry the same key or signature.</summary>
    public static byte[] FieldToBigEndian(ReadOnlySpan<byte> field)
    {
        if (field.Length < ScalarSize)
            throw new CryptoFormatException($"SM2 field must be at least {ScalarSize} bytes, got {field.Length}");
        int stray = field[ScalarSize..].IndexOfAnyExcept((byte)0);
        if (stray >= 0)
            throw new CryptoFormatException(
                $"SM2 field has a non-zero byte 0x{field[ScalarSize + stray]:x2} at field offset {ScalarSize + stray}, beyond the {ScalarSize}-byte value");
        return ByteOrder.Reversed(field[..ScalarSize]);
    }

    /// <summary>Writes a 32-byte big-endian integer little-endian into a certificate field, zeroing the unused tail.</summary>
    public static void BigEndianToField(ReadOnlySpan<byte> value, Span<byte> field)
    {
        if (value.Length != ScalarSize)
            throw new CryptoFormatException($"SM2 scalar must be {ScalarSize} bytes, got {value.Length}");
        if (field.Length < ScalarSize)
            throw new CryptoFormatException($"SM2 field must be at least {ScalarSize} bytes, got {field.Length}");
        field.Clear();
        ByteOrder.CopyReversed(value, field);
    }

    /// <summary>True when (x, y) (big-endian, 32 bytes each) is a finite point on sm2p256v1.</summary>
    public static bool IsValidPublicKey(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length != ScalarSize || y.Length != ScalarSize)
            return false;
        var p = Curve.Curve.Field.Characteristic;
        var bx = new BigInteger(1, x.ToArray());
        var by = new BigInteger(1, y.ToArray());
        if (bx.CompareTo(p) >= 0 || by.CompareTo(p) >= 0)
            return false;
        var point = Curve.Curve.CreatePoint(bx, by);
        // sm2p256v1 has cofactor 1, so a point on the curve is in the prime-order group.
        return !point.IsInfinity && point.IsValid();
    }

    /// <summary>Public key from big-endian coordinates; rejects points that are not on the curve.</summary>
    public static ECPublicKeyParameters CreatePublicKey(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (!IsValidPublicKey(x, y))
            throw new CryptoFormatException("SM2 public key is not a point on sm2p256v1");
        var point = Curve.Curve.CreatePoint(new BigInteger(1, x.ToArray()), new BigInteger(1, y.ToArray()));
        return new ECPublicKeyParameters(point, Domain);
    }

    /// <summary>Big-endian, left-padded 32-byte coordinates of a public key.</summary>
    public static (byte[] X, byte[] Y) ExportPublicKey(ECPublicKeyParameters key)
    {
        var q = key.Q.Normalize();
        return (ToScalar(q.AffineXCoord.ToBigInteger()), ToScalar(q.AffineYCoord.ToBigInteger()));
    }

    public static AsymmetricCipherKeyPair GenerateKeyPair(IRandomSource random)
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(Domain, new CsvSecureRandom(random)));
        return generator.GenerateKeyPair();
    }

    /// <summary>Verifies an SM2 signature (r, s big-endian, 32 bytes each) with an explicit SM2 ID.</summary>
    public static bool Verify(ECPublicKeyParameters key, ReadOnlySpan<byte> userId, ReadOnlySpan<byte> message,
        ReadOnlySpan<byte> r, ReadOnlySpan<byte> s)
    {
        if (r.Length != ScalarSize || s.Length != ScalarSize)
            return false;
        var signer = new SM2Signer(PlainDsaEncoding.Instance);
        signer.Init(false, new ParametersWithID(key, userId.ToArray()));
        signer.BlockUpdate(message);
        var signature = new byte[2 * ScalarSize];
        r.CopyTo(signature);
        s.CopyTo(signature.AsSpan(ScalarSize));
        return signer.VerifySignature(signature);
    }

    /// <summary>SM2 signature with an explicit SM2 ID; k comes from <paramref name="random"/>. Returns big-endian r and s.</summary>
    public static (byte[] R, byte[] S) Sign(ECPrivateKeyParameters key, ReadOnlySpan<byte> userId, ReadOnlySpan<byte> message,
        IRandomSource random)
    {
        var signer = new SM2Signer(PlainDsaEncoding.Instance);
        signer.Init(true, new ParametersWithID(new ParametersWithRandom(key, new CsvSecureRandom(random)), userId.ToArray()));
        signer.BlockUpdate(message);
        var signature = signer.GenerateSignature();
        return (signature[..ScalarSize], signature[ScalarSize..]);
    }

    /// <summary>
    /// SM2 public-key encryption, output 0x04 ‖ x1 ‖ y1 ‖ C3 ‖ C2 with x1 and y1 always 32 bytes.
    /// C1 is re-encoded here from the point instead of trusting the library's byte layout: csv-rs
    /// dropped leading zero bytes and the firmware then rejects about 0.8% of sessions.
    /// </summary>
    public static byte[] Encrypt(ECPublicKeyParameters key, ReadOnlySpan<byte> plaintext, IRandomSource random)
    {
        var engine = new SM2Engine(SM2Engine.Mode.C1C3C2);
        engine.Init(true, new ParametersWithRandom(key, new CsvSecureRandom(random)));
        byte[] raw = engine.ProcessBlock(plaintext);
        try
        {
            int c1Length = raw.Length - 32 - plaintext.Length;
            if (c1Length <= 0)
                throw new CryptographicException("SM2 engine returned a ciphertext shorter than C3 ‖ C2");
            var c1 = Curve.Curve.DecodePoint(raw[..c1Length]).Normalize();
            var output = new byte[CiphertextOverhead + plaintext.Length];
            output[0] = 0x04;
            ToScalar(c1.AffineXCoord.ToBigInteger()).CopyTo(output, 1);
            ToScalar(c1.AffineYCoord.ToBigInteger()).CopyTo(output, 1 + ScalarSize);
            raw.AsSpan(c1Length).CopyTo(output.AsSpan(1 + 2 * ScalarSize));
            return output;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    /// <summary>SM2 decryption of 0x04 ‖ x1 ‖ y1 ‖ C3 ‖ C2. Throws <see cref="CryptoFormatException"/> when C3 does not match.</summary>
    public static byte[] Decrypt(ECPrivateKeyParameters key, ReadOnlySpan<byte> ciphertext)
    {
        if (ciphertext.Length <= CiphertextOverhead || ciphertext[0] != 0x04)
            throw new CryptoFormatException($"SM2 ciphertext must be 0x04 ‖ x1 ‖ y1 ‖ C3 ‖ C2, got {ciphertext.Length} bytes starting 0x{(ciphertext.IsEmpty ? 0 : ciphertext[0]):x2}");
        var engine = new SM2Engine(SM2Engine.Mode.C1C3C2);
        engine.Init(false, key);
        try
        {
            return engine.ProcessBlock(ciphertext);
        }
        catch (InvalidCipherTextException e)
        {
            throw new CryptoFormatException("SM2 ciphertext does not decrypt (C1 off the curve or C3 mismatch)", e);
        }
        catch (ArgumentException e)
        {
            throw new CryptoFormatException("SM2 ciphertext C1 is not a valid point", e);
        }
    }

    internal static byte[] ToScalar(BigInteger value) => BigIntegers.AsUnsignedByteArray(ScalarSize, value);
}
