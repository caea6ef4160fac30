using System.Buffers.Binary;
using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using Org.BouncyCastle.Crypto.Parameters;

namespace GuestOwnerProxy.Crypto.Tests.Csv;

/// <summary>Reproducible randomness: SHA-256(seed ‖ counter) blocks.</summary>
internal sealed class SeededRandom(ulong seed) : IRandomSource
{
    private ulong _counter;

    public long BytesDrawn { get; private set; }

    public void Fill(Span<byte> destination)
    {
        Span<byte> input = stackalloc byte[16];
        Span<byte> block = stackalloc byte[32];
        for (int offset = 0; offset < destination.Length; offset += 32)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(input, seed);
            BinaryPrimitives.WriteUInt64LittleEndian(input[8..], _counter++);
            SHA256.HashData(input, block);
            int n = Math.Min(32, destination.Length - offset);
            block[..n].CopyTo(destination[offset..]);
        }
        BytesDrawn += destination.Length;
    }
}

/// <summary>
/// A complete CSV chain made in the test with our own keys: HRK → HSK → CEK → PEK ← OCA, PEK → PDH.
/// The chain export carries the CEK without the HSK signature; the hsk_cek file carries the signed one.
/// </summary>
internal sealed class TestCsvChain
{
    public static readonly byte[] HrkId = Convert.FromHexString("00112233445566778899aabbccddeeff");
    public static readonly byte[] HskId = Convert.FromHexString("ffeeddccbbaa99887766554433221100");

    public TestCsvChain(ulong seed = 1)
    {
        Random = new SeededRandom(seed);
        HrkKey = Key();
        HskKey = Key();
        CekKey = Key();
        OcaKey = Key();
        PekKey = Key();
        PdhKey = Key();

        Hrk = CsvCaCertificate.Create(CsvUsage.Hrk, HrkId, HrkId, HrkKey.Public, "TEST-SSD-HRK").SelfSign(HrkKey.Private, Random);
        Hsk = CsvCaCertificate.Create(CsvUsage.Hsk, HskId, HrkId, HskKey.Public, "TEST-SSD-HSK").Sign(HrkKey.Private, Hrk.UserIdBytes, Random);
        var (cx, cy) = Sm2.ExportPublicKey(CekKey.Public);
        CekUnsigned = CsvCertificate.Create(2, 1, 1, CsvUsage.Cek, CsvAlgorithm.Sm2Sign, cx, cy, "TEST-SSD-CEK"u8, HskId);
        CekSigned = CekUnsigned.SignWith(1, Hsk, HskKey.Private, Random);
        var ocaUnsigned = CsvCertificate.Create(CsvUsage.Oca, CsvAlgorithm.Sm2Sign, OcaKey.Public, "TEST-SSD-OCA");
        Oca = ocaUnsigned.SignWith(1, ocaUnsigned, OcaKey.Private, Random);
        // As in the real PEK: slot 1 is the CEK's signature, slot 2 the OCA's.
        Pek = CsvCertificate.Create(CsvUsage.Pek, CsvAlgorithm.Sm2Sign, PekKey.Public, "TEST-SSD-PEK")
            .SignWith(1, CekSigned, CekKey.Private, Random)
            .SignWith(2, Oca, OcaKey.Private, Random);
        Pdh = CsvCertificate.Create(CsvUsage.Pdh, CsvAlgorithm.Sm2KeyExchange, PdhKey.Public, "TEST-SSD-PDH")
            .SignWith(1, Pek, PekKey.Private, Random);
    }

    public SeededRandom Random { get; }
    public (ECPublicKeyParameters Public, ECPrivateKeyParameters Private) HrkKey, HskKey, CekKey, OcaKey, PekKey, PdhKey;
    public CsvCaCertificate Hrk { get; }
    public CsvCaCertificate Hsk { get; }
    public CsvCertificate CekUnsigned { get; }
    public CsvCertificate CekSigned { get; }
    public CsvCertificate Oca { get; }
    public CsvCertificate Pek { get; }
    public CsvCertificate Pdh { get; }

    public byte[] CertChain(CsvCertificate? pek = null, CsvCertificate? oca = null, CsvCertificate? cek = null) =>
        [.. (pek ?? Pek).ToArray(), .. (oca ?? Oca).ToArray(), .. (cek ?? CekUnsigned).ToArray()];

    public byte[] HskCek(CsvCaCertificate? hsk = null, CsvCertificate? cek = null) =>
        [.. (hsk ?? Hsk).ToArray(), .. (cek ?? CekSigned).ToArray()];

    public PlatformTrust Trust(bool allowRoot = true, CsvCaCertificate? hrk = null, byte[]? hskCek = null) => new()
    {
        RootCertificates = [(hrk ?? Hrk).ToArray()],
        ExtraRootFingerprints = allowRoot ? [(hrk ?? Hrk).Fingerprint] : [],
        Intermediates = [hskCek ?? HskCek()],
    };

    public (ECPublicKeyParameters Public, ECPrivateKeyParameters Private) Key()
    {
        var pair = Sm2.GenerateKeyPair(Random);
        return ((ECPublicKeyParameters)pair.Public, (ECPrivateKeyParameters)pair.Private);
    }
}
