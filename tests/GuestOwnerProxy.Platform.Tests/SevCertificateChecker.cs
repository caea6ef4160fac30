using System.Buffers.Binary;
using System.Security.Cryptography;

namespace GuestOwnerProxy.Platform.Tests;

/// <summary>
/// A minimal AMD certificate checker written for these tests with .NET's RSA/ECDsa (the simulator
/// signs with BouncyCastle), itself pinned against the real Naples chain (vector S10).
/// </summary>
internal static class SevCertificateChecker
{
    public static RSA CaKey(byte[] ca)
    {
        int n = (ca.Length - 64) / 3;
        byte[] exponent = Reverse(ca.AsSpan(64, n)).SkipWhile(b => b == 0).ToArray();
        byte[] modulus = Reverse(ca.AsSpan(64 + n, n));
        return RSA.Create(new RSAParameters { Exponent = exponent, Modulus = modulus });
    }

    public static bool CaSignedBy(byte[] ca, byte[] issuer)
    {
        int n = (ca.Length - 64) / 3;
        if (!ca.AsSpan(20, 16).SequenceEqual(issuer.AsSpan(4, 16)))
            return false;
        using var key = CaKey(issuer);
        var hash = n > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
        return key.VerifyData(ca.AsSpan(0, 64 + 2 * n), Reverse(ca.AsSpan(64 + 2 * n, n)), hash, RSASignaturePadding.Pss);
    }

    public static ECDsa EcKey(byte[] cert)
    {
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(cert.AsSpan(0x10)));
        return ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP384,
            Q = new ECPoint { X = Reverse(cert.AsSpan(0x14, 48)), Y = Reverse(cert.AsSpan(0x5C, 48)) },
        });
    }

    public static int? Slot(byte[] cert, uint usage)
    {
        foreach (int slot in new[] { 0x414, 0x61C })
            if (BinaryPrimitives.ReadUInt32LittleEndian(cert.AsSpan(slot)) == usage)
                return slot;
        return null;
    }

    public static bool EcSignedBy(byte[] cert, uint signerUsage, byte[] signer)
    {
        if (Slot(cert, signerUsage) is not int slot)
            return false;
        using var key = EcKey(signer);
        byte[] rs = [.. Reverse(cert.AsSpan(slot + 8, 48)), .. Reverse(cert.AsSpan(slot + 80, 48))];
        return key.VerifyData(cert.AsSpan(0, 0x414), rs, HashAlgorithmName.SHA256);
    }

    public static bool RsaSignedBy(byte[] cert, byte[] askCa)
    {
        if (Slot(cert, 0x13) is not int slot)
            return false;
        int n = (askCa.Length - 64) / 3;
        using var key = CaKey(askCa);
        var hash = n > 256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
        return key.VerifyData(cert.AsSpan(0, 0x414), Reverse(cert.AsSpan(slot + 8, n)), hash, RSASignaturePadding.Pss);
    }

    private static byte[] Reverse(ReadOnlySpan<byte> span)
    {
        byte[] b = span.ToArray();
        Array.Reverse(b);
        return b;
    }
}
