using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Sev;

/// <summary>Deterministic stream: SHA-256(seed ‖ u32 block index), concatenated. Records everything it hands out.</summary>
internal sealed class SeededRandomSource(string seed) : IRandomSource
{
    private readonly List<byte> _issued = [];
    private uint _block;
    private readonly Queue<byte> _pending = new();

    public byte[] Issued => [.. _issued];

    public void Fill(Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            if (_pending.Count == 0)
            {
                foreach (var b in SHA256.HashData([.. Encoding.UTF8.GetBytes(seed), .. BitConverter.GetBytes(_block++)]))
                    _pending.Enqueue(b);
            }
            destination[i] = _pending.Dequeue();
        }
        _issued.AddRange(destination.ToArray());
    }
}

public class SevSessionBuilderTests
{
    private const uint Policy = 0x00050001; // NODBG, API >= 5.0: any non-zero pattern

    /// <summary>Plays the firmware: recovers TEK ‖ TIK from the blob with the PDH private key, written from
    /// sev.md with .NET primitives only (own KDF loop and own CTR) so it does not share code with the builder.</summary>
    private static (byte[] Tek, byte[] Tik) FirmwareUnwrap(ECDiffieHellman pdhKey, byte[] godhCert, byte[] blob, uint policy)
    {
        Assert.Equal(2084, godhCert.Length);
        Assert.Equal(128, blob.Length);
        Assert.Equal(0x1003u, BinaryPrimitives.ReadUInt32LittleEndian(godhCert.AsSpan(8)));
        Assert.Equal(0x3u, BinaryPrimitives.ReadUInt32LittleEndian(godhCert.AsSpan(12)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(godhCert.AsSpan(16)));
        var x = godhCert.AsSpan(0x14, 48).ToArray();
        var y = godhCert.AsSpan(0x14 + 72, 48).ToArray();
        Array.Reverse(x);
        Array.Reverse(y);
        using var godh = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP384,
            Q = new ECPoint { X = x, Y = y },
        });
        var z = pdhKey.DeriveRawSecretAgreement(godh.PublicKey);
        Assert.Equal(48, z.Length);

        static byte[] Kdf(byte[] key, string label, byte[] ctx) => HMACSHA256.HashData(key,
            (byte[])[1, 0, 0, 0, .. Encoding.ASCII.GetBytes(label), 0, .. ctx, 128, 0, 0, 0])[..16];
        var nonce = blob[0..16];
        var master = Kdf(z, "sev-master-secret", nonce);
        var kek = Kdf(master, "sev-kek", []);
        var kik = Kdf(master, "sev-kik", []);

        var wrapTk = blob[16..48];
        var wrapIv = blob[48..64];
        Assert.Equal(HMACSHA256.HashData(kik, wrapTk), blob[64..96]);

        using var aes = Aes.Create();
        aes.Key = kek;
        var counter1 = (byte[])wrapIv.Clone();
        var counter2 = new BigInteger(wrapIv, isUnsigned: true, isBigEndian: true) + 1;
        var c2 = new byte[16];
        var raw = (counter2 % BigInteger.Pow(2, 128)).ToByteArray(isUnsigned: true, isBigEndian: true);
        raw.CopyTo(c2, 16 - raw.Length);
        var keystream = aes.EncryptEcb((byte[])[.. counter1, .. c2], PaddingMode.None);
        var plain = wrapTk.Select((b, i) => (byte)(b ^ keystream[i])).ToArray();
        var tek = plain[..16];
        var tik = plain[16..];

        var policyBytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(policyBytes, policy);
        Assert.Equal(HMACSHA256.HashData(tik, policyBytes), blob[96..128]);
        return (tek, tik);
    }

    [Fact]
    public void Session_DecryptsWithPdhPrivateKey()
    {
        using var pdhKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var pdh = TestSevChain.PlatformCert(0x1003, 0x3, pdhKey.ExportParameters(false).Q);

        using var session = SevSessionBuilder.Create(pdh, Policy, SystemRandomSource.Instance);
        Assert.Equal(PlatformKind.Sev, session.Platform);
        Assert.Equal(Policy, session.Policy);
        var (tek, tik) = FirmwareUnwrap(pdhKey, session.GodhCertificate, session.SessionBlob, Policy);
        Assert.Equal(session.Tek.ToArray(), tek);
        Assert.Equal(session.Tik.ToArray(), tik);
        Assert.False(tek.All(b => b == 0));
    }

    [Fact]
    public void Session_ThroughProfile_DecryptsWithPdhPrivateKey()
    {
        using var pdhKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var pdh = TestSevChain.PlatformCert(0x1003, 0x3, pdhKey.ExportParameters(false).Q);
        using var session = SevPlatformProfile.Instance.CreateSession(pdh, 0, new SeededRandomSource("profile"));
        var (tek, tik) = FirmwareUnwrap(pdhKey, session.GodhCertificate, session.SessionBlob, 0);
        Assert.Equal(session.Tek.ToArray(), tek);
        Assert.Equal(session.Tik.ToArray(), tik);
    }

    [Fact]
    public void Session_WithWrongPdhKey_DoesNotUnwrap()
    {
        using var pdhKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        using var otherKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var pdh = TestSevChain.PlatformCert(0x1003, 0x3, pdhKey.ExportParameters(false).Q);
        using var session = SevSessionBuilder.Create(pdh, Policy, SystemRandomSource.Instance);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => FirmwareUnwrap(otherKey, session.GodhCertificate, session.SessionBlob, Policy));
    }

    [Fact]
    public void Session_IsDeterministicForAFixedRandomSource_AndDrawsInDocumentedOrder()
    {
        var pdh = SelfMadePdh();
        var random1 = new SeededRandomSource("seed-1");
        using var a = SevSessionBuilder.Create(pdh, Policy, random1);
        using var b = SevSessionBuilder.Create(pdh, Policy, new SeededRandomSource("seed-1"));
        using var c = SevSessionBuilder.Create(pdh, Policy, new SeededRandomSource("seed-2"));
        Assert.Equal(a.GodhCertificate, b.GodhCertificate);
        Assert.Equal(a.SessionBlob, b.SessionBlob);
        Assert.Equal(a.Tek.ToArray(), b.Tek.ToArray());
        Assert.Equal(a.Tik.ToArray(), b.Tik.ToArray());
        Assert.NotEqual(a.GodhCertificate, c.GodhCertificate);
        Assert.NotEqual(a.SessionBlob, c.SessionBlob);

        // Order: GODH scalar seed (64), nonce, wrap_iv, TEK, TIK (16 each).
        var issued = random1.Issued;
        Assert.Equal(64 + 4 * 16, issued.Length);
        Assert.Equal(issued[64..80], a.SessionBlob[0..16]);
        Assert.Equal(issued[80..96], a.SessionBlob[48..64]);
        Assert.Equal(issued[96..112], a.Tek.ToArray());
        Assert.Equal(issued[112..128], a.Tik.ToArray());

        // GODH private scalar d = (seed mod (n-1)) + 1: the GODH public key must be d·G.
        var n = BigInteger.Parse("0ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
            System.Globalization.NumberStyles.HexNumber);
        var d = new BigInteger(issued[..64], isUnsigned: true, isBigEndian: true) % (n - 1) + 1;
        var dBytes = new byte[48];
        var raw = d.ToByteArray(isUnsigned: true, isBigEndian: true);
        raw.CopyTo(dBytes, 48 - raw.Length);
        using var expected = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP384, D = dBytes });
        var q = expected.ExportParameters(false).Q;
        var godh = SevCertificate.Parse(a.GodhCertificate, "GODH").GetEcParameters().Q;
        Assert.Equal(q.X, godh.X);
        Assert.Equal(q.Y, godh.Y);
    }

    [Fact]
    public void Session_AllZeroRandom_StillProducesValidKey()
    {
        using var pdhKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var pdh = TestSevChain.PlatformCert(0x1003, 0x3, pdhKey.ExportParameters(false).Q);
        using var session = SevSessionBuilder.Create(pdh, 7, new ZeroRandom());
        var (tek, _) = FirmwareUnwrap(pdhKey, session.GodhCertificate, session.SessionBlob, 7);
        Assert.Equal(new byte[16], tek);
    }

    private sealed class ZeroRandom : IRandomSource
    {
        public void Fill(Span<byte> destination) => destination.Clear();
    }

    [VectorTheory]
    [InlineData("amd/naples/pek.cert", "usage 0x1002")]
    [InlineData("amd/naples/cek.cert", "usage 0x1004")]
    public void Session_NeedsEcdhPdh(string file, string expected)
    {
        var ex = Assert.Throws<InvalidCertificateException>(() =>
            SevSessionBuilder.Create(Read(file), 0, SystemRandomSource.Instance));
        Assert.Contains("ECDH P-384", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Session_RejectsP256Pdh()
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var q = key.ExportParameters(false).Q;
        var pdh = TestSevChain.PlatformCert(0x1003, 0x3, q);
        BinaryPrimitives.WriteUInt32LittleEndian(pdh.AsSpan(0x10), 1);
        var ex = Assert.Throws<InvalidCertificateException>(() => SevSessionBuilder.Create(pdh, 0, SystemRandomSource.Instance));
        Assert.Contains("curve 1", ex.Message);
    }

    [Fact]
    public void Session_RejectsPointNotOnCurve()
    {
        var pdh = SelfMadePdh();
        pdh[0x14] ^= 0x01;
        var ex = Assert.Throws<InvalidCertificateException>(() => SevSessionBuilder.Create(pdh, 0, SystemRandomSource.Instance));
        Assert.Contains("not a valid P-384 point", ex.Message);
    }

    [Fact]
    public void Session_RejectsCsvCertificate()
    {
        var ex = Assert.Throws<InvalidCertificateException>(() =>
            SevSessionBuilder.Create(new Csv.TestCsvChain(1).Pdh.ToArray(), 0, SystemRandomSource.Instance));
        Assert.Contains("Hygon CSV", ex.Message);
    }

    [Fact]
    public void Session_ToStringAndErrors_DoNotShowKeys()
    {
        using var session = SevSessionBuilder.Create(SelfMadePdh(), 1, new SeededRandomSource("x"));
        var text = session.ToString();
        Assert.DoesNotContain(ToHex(session.Tek), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexString(session.Tik), text, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Some valid P-384 PDH made here, for tests that pin no published value (they run without the vectors).</summary>
    private static byte[] SelfMadePdh()
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        return TestSevChain.PlatformCert(0x1003, 0x3, key.ExportParameters(false).Q);
    }
}
