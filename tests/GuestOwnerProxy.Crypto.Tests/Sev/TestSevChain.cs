using System.Buffers.Binary;
using System.Security.Cryptography;

namespace GuestOwnerProxy.Crypto.Tests.Sev;

/// <summary>
/// A complete, freshly generated SEV chain (RSA-2048 ARK/ASK, P-384 CEK/OCA/PEK/PDH) written with literal
/// offsets from sev.md, independent of the production parser, so the verifier can be tested on chains
/// whose private keys we hold (extra roots, re-signed certificates, sessions with a known PDH key).
/// </summary>
internal sealed class TestSevChain : IDisposable
{
    public RSA ArkKey { get; } = RSA.Create(2048);
    public RSA AskKey { get; } = RSA.Create(2048);
    public ECDsa CekKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP384);
    public ECDsa OcaKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP384);
    public ECDsa PekKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP384);
    public ECDiffieHellman PdhKey { get; } = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);

    public byte[] Ark { get; }
    public byte[] Ask { get; }
    public byte[] Cek { get; }
    public byte[] UnsignedCek { get; }
    public byte[] Oca { get; }
    public byte[] Pek { get; }
    public byte[] Pdh { get; }

    public TestSevChain()
    {
        byte[] arkId = RandomNumberGenerator.GetBytes(16), askId = RandomNumberGenerator.GetBytes(16);
        Ark = CaCert(arkId, arkId, 0x00, ArkKey, ArkKey);
        Ask = CaCert(askId, arkId, 0x13, AskKey, ArkKey);

        UnsignedCek = PlatformCert(0x1004, 0x2, CekKey.ExportParameters(false).Q);
        Cek = (byte[])UnsignedCek.Clone();
        SignRsa(Cek, 0x414, 0x13, AskKey);

        Oca = PlatformCert(0x1001, 0x2, OcaKey.ExportParameters(false).Q);
        SignEcdsa(Oca, 0x414, 0x1001, OcaKey);

        Pek = PlatformCert(0x1002, 0x2, PekKey.ExportParameters(false).Q);
        SignEcdsa(Pek, 0x414, 0x1001, OcaKey);
        SignEcdsa(Pek, 0x61C, 0x1004, CekKey);

        Pdh = PlatformCert(0x1003, 0x3, PdhKey.ExportParameters(false).Q);
        SignEcdsa(Pdh, 0x414, 0x1002, PekKey);
    }

    public string ArkFingerprint => Convert.ToHexStringLower(SHA256.HashData(Ark));

    public byte[] ShortChain(byte[]? cek = null) => [.. Pek, .. Oca, .. cek ?? UnsignedCek];

    public byte[] FullChain() => [.. Pdh, .. Pek, .. Oca, .. Cek, .. Ask, .. Ark];

    /// <summary>A PDH for <paramref name="key"/> signed by <paramref name="pekKey"/>.</summary>
    public static byte[] SignedPdh(ECDiffieHellman key, ECDsa pekKey)
    {
        var pdh = PlatformCert(0x1003, 0x3, key.ExportParameters(false).Q);
        SignEcdsa(pdh, 0x414, 0x1002, pekKey);
        return pdh;
    }

    public static byte[] PlatformCert(uint usage, uint algorithm, ECPoint q)
    {
        var b = new byte[2084];
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x00), 1);
        b[4] = 0; b[5] = 22;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x08), usage);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x0C), algorithm);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x10), 2);
        Reversed(q.X!).CopyTo(b, 0x14);
        Reversed(q.Y!).CopyTo(b, 0x14 + 72);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x414), 0x1000);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x61C), 0x1000);
        return b;
    }

    public static void SignEcdsa(byte[] cert, int slot, uint signerUsage, ECDsa key)
    {
        var sig = key.SignData(cert.AsSpan(0, 0x414), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        BinaryPrimitives.WriteUInt32LittleEndian(cert.AsSpan(slot), signerUsage);
        BinaryPrimitives.WriteUInt32LittleEndian(cert.AsSpan(slot + 4), 0x2);
        cert.AsSpan(slot + 8, 512).Clear();
        Reversed(sig[..48]).CopyTo(cert, slot + 8);
        Reversed(sig[48..]).CopyTo(cert, slot + 8 + 72);
    }

    public static void SignRsa(byte[] cert, int slot, uint signerUsage, RSA key)
    {
        var sig = key.SignData(cert.AsSpan(0, 0x414).ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        BinaryPrimitives.WriteUInt32LittleEndian(cert.AsSpan(slot), signerUsage);
        BinaryPrimitives.WriteUInt32LittleEndian(cert.AsSpan(slot + 4), 0x1);
        cert.AsSpan(slot + 8, 512).Clear();
        Reversed(sig).CopyTo(cert, slot + 8);
    }

    public static byte[] CaCert(byte[] keyId, byte[] certifyingId, uint usage, RSA key, RSA signer)
    {
        const int n = 256;
        var p = key.ExportParameters(false);
        var b = new byte[64 + 3 * n];
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0), 1);
        keyId.CopyTo(b, 4);
        certifyingId.CopyTo(b, 20);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(36), usage);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(56), 2048);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(60), 2048);
        Reversed(p.Exponent!).CopyTo(b, 64);
        Reversed(p.Modulus!).CopyTo(b, 64 + n);
        var sig = signer.SignData(b.AsSpan(0, 64 + 2 * n).ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        Reversed(sig).CopyTo(b, 64 + 2 * n);
        return b;
    }

    private static byte[] Reversed(byte[] value)
    {
        var r = (byte[])value.Clone();
        Array.Reverse(r);
        return r;
    }

    public void Dispose()
    {
        ArkKey.Dispose(); AskKey.Dispose(); CekKey.Dispose(); OcaKey.Dispose(); PekKey.Dispose(); PdhKey.Dispose();
    }
}
