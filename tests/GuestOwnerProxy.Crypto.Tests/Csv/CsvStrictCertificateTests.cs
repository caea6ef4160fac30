using System.Buffers.Binary;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Platform;
using L = GuestOwnerProxy.Crypto.Csv.CsvCertificateLayout;

namespace GuestOwnerProxy.Crypto.Tests.Csv;

/// <summary>Key algorithm bound to usage, field tails, hsk_cek candidate search, extra-root normalisation.</summary>
public class CsvStrictCertificateTests
{
    private static readonly TestCsvChain Chain = new(21);

    private static ChainVerificationException Broken(byte[] pdh, byte[] chain, PlatformTrust trust) =>
        Assert.Throws<ChainVerificationException>(() => CsvChainVerifier.Verify(pdh, chain, trust));

    private static byte[] WithAlgorithm(CsvCertificate cert, CsvAlgorithm algorithm)
    {
        var bytes = cert.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(L.Platform.Algorithm), (uint)algorithm);
        return bytes;
    }

    [Fact]
    public void CekSidNotTheHskKeyId_BreaksHskToCek()
    {
        // Signed correctly by the HSK, but naming another HSK in sid (a CEK of another HSK generation).
        var (x, y) = Sm2.ExportPublicKey(Chain.CekKey.Public);
        var otherSid = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10");
        var cek = CsvCertificate.Create(2, 1, 1, CsvUsage.Cek, CsvAlgorithm.Sm2Sign, x, y, "TEST-SSD-CEK"u8, otherSid)
            .SignWith(1, Chain.Hsk, Chain.HskKey.Private, Chain.Random);
        Assert.True(cek.IsSignedBy(Chain.Hsk));
        var e = Broken(Chain.Pdh.ToArray(), Chain.CertChain(), Chain.Trust(hskCek: Chain.HskCek(cek: cek)));
        Assert.Equal(CsvChainVerifier.LinkHskCek, e.Link);
        Assert.Contains("sid 0102030405060708090a0b0c0d0e0f10", e.Message);
    }

    [Theory]
    [InlineData("PDH", CsvAlgorithm.Sm2Sign)]
    [InlineData("PEK", CsvAlgorithm.Sm2KeyExchange)]
    [InlineData("OCA", CsvAlgorithm.Sm2KeyExchange)]
    [InlineData("CEK", CsvAlgorithm.Sm2KeyExchange)]
    public void KeyAlgorithmMustMatchUsage(string role, CsvAlgorithm wrong)
    {
        byte[] pdh = Chain.Pdh.ToArray();
        byte[] pek = Chain.Pek.ToArray(), oca = Chain.Oca.ToArray(), cek = Chain.CekUnsigned.ToArray();
        switch (role)
        {
            case "PDH": pdh = WithAlgorithm(Chain.Pdh, wrong); break;
            case "PEK": pek = WithAlgorithm(Chain.Pek, wrong); break;
            case "OCA": oca = WithAlgorithm(Chain.Oca, wrong); break;
            case "CEK": cek = WithAlgorithm(Chain.CekUnsigned, wrong); break;
        }
        var e = Assert.Throws<InvalidCertificateException>(() => CsvChainVerifier.Verify(pdh, [.. pek, .. oca, .. cek], Chain.Trust()));
        Assert.Equal(role, e.Certificate);
        Assert.Contains($"algorithm {(uint)wrong}", e.Message);
    }

    [Fact]
    public void SignatureSlotWithKeyExchangeAlgorithm_DoesNotVerify()
    {
        // The PEK's genuine signature on the PDH, relabelled as algorithm 5: r and s still verify, the slot must not.
        var slot = Chain.Pdh.Signature1;
        var relabelled = Chain.Pdh.WithSignature(1, new CsvSignatureSlot(slot.Usage, CsvAlgorithm.Sm2KeyExchange, slot.R, slot.S));
        Assert.True(Chain.Pdh.IsSignedBy(Chain.Pek));
        Assert.False(relabelled.IsSignedBy(Chain.Pek));
        var e = Broken(relabelled.ToArray(), Chain.CertChain(), Chain.Trust());
        Assert.Equal(CsvChainVerifier.LinkPekPdh, e.Link);
        Assert.Contains("algorithm 5", e.Message);
    }

    [Fact]
    public void SessionBuilder_RefusesAPdhThatIsNotAKeyExchangeKey()
    {
        var signingPdh = WithAlgorithm(Chain.Pdh, CsvAlgorithm.Sm2Sign);
        var e = Assert.Throws<InvalidCertificateException>(() => CsvSessionBuilder.Default.Create(signingPdh, 0, new SeededRandom(1)));
        Assert.Equal("PDH", e.Certificate);
        Assert.Contains("algorithm 4", e.Message);
        Assert.Contains("key exchange", e.Message);
    }

    [VectorFact]
    public void SimulatorAndRealCertificates_CarryTheAlgorithmTheirUsageNeeds()
    {
        var platform = SoftwareCsvPlatform.Create(new SoftwarePlatformOptions { Seed = "csv review"u8.ToArray() });
        var pdh = CsvCertificate.Parse(platform.PdhCertificate, "PDH");
        Assert.Equal(CsvAlgorithm.Sm2KeyExchange, pdh.Algorithm);
        var chain = platform.CertificateChain;
        for (int i = 0; i < 3; i++)
        {
            var cert = CsvCertificate.Parse(chain.AsSpan(i * L.Platform.Size, L.Platform.Size), "chain");
            Assert.Equal(CsvAlgorithm.Sm2Sign, cert.Algorithm);
            Assert.All(cert.Signatures.Where(s => !s.IsEmpty), s => Assert.Equal(CsvAlgorithm.Sm2Sign, s.Algorithm));
        }
        var trust = new PlatformTrust
        {
            RootCertificates = [platform.RootCertificate],
            ExtraRootFingerprints = [platform.RootFingerprint],
            Intermediates = [platform.Intermediate],
        };
        Assert.Equal(7, CsvChainVerifier.Verify(platform.PdhCertificate, chain, trust).VerifiedLinks.Count);

        var realCek = CsvCertificate.Parse(Vectors.Read("hygon/cek.cert"), "CEK");
        Assert.Equal(CsvAlgorithm.Sm2Sign, realCek.Algorithm);
        Assert.Equal(CsvAlgorithm.Sm2Sign, realCek.SignaturesBy(CsvUsage.Hsk).Single().Algorithm);
        Assert.True(realCek.IsSignedBy(CsvCaCertificate.Parse(Vectors.Read("hygon/hsk.cert"), "HSK")));
    }

    public static TheoryData<string, int, string> PlatformTails => new()
    {
        { "public key X", L.Platform.PublicKeyX, "public key X" },
        { "public key Y", L.Platform.PublicKeyY, "public key Y" },
        { "signature 1 r", L.Platform.Signature1 + L.Platform.SlotR, "signature 1 r" },
        { "signature 1 s", L.Platform.Signature1 + L.Platform.SlotS, "signature 1 s" },
        { "signature 2 s", L.Platform.Signature2 + L.Platform.SlotS, "signature 2 s" },
    };

    [Theory]
    [MemberData(nameof(PlatformTails))]
    public void PlatformCertificate_NonZeroFieldTail_IsRejected(string _, int field, string expected)
    {
        var bytes = Chain.Pek.ToArray();
        bytes[field + 32 + 7] = 0x5a;
        var e = Assert.Throws<InvalidCertificateException>(() => CsvCertificate.Parse(bytes, "PEK"));
        Assert.Equal("PEK", e.Certificate);
        Assert.Contains(expected, e.Message);
        Assert.Contains("0x5a", e.Message);
    }

    [Theory]
    [InlineData(L.Ca.PublicKeyX, "public key X")]
    [InlineData(L.Ca.PublicKeyY, "public key Y")]
    [InlineData(L.Ca.SignatureR, "signature r")]
    [InlineData(L.Ca.SignatureS, "signature s")]
    public void CaCertificate_NonZeroFieldTail_IsRejected(int field, string expected)
    {
        var bytes = Chain.Hsk.ToArray();
        bytes[field + 71] = 0x01;
        var e = Assert.Throws<InvalidCertificateException>(() => CsvCaCertificate.Parse(bytes, "HSK"));
        Assert.Contains(expected, e.Message);
        Assert.Throws<Common.CryptoFormatException>(() => Sm2.FieldToBigEndian(bytes.AsSpan(field, L.FieldSize)));
    }

    [VectorFact]
    public void RealHygonCertificates_HaveZeroTails_AndStillParse()
    {
        foreach (var name in (string[])["hygon/hrk.cert", "hygon/hsk.cert"])
        {
            var b = Vectors.Read(name);
            foreach (int f in (int[])[L.Ca.PublicKeyX, L.Ca.PublicKeyY, L.Ca.SignatureR, L.Ca.SignatureS])
                Assert.True(b.AsSpan(f + 32, 40).IndexOfAnyExcept((byte)0) < 0, $"{name} field 0x{f:x3}");
            CsvCaCertificate.Parse(b, name);
        }
        var cek = Vectors.Read("hygon/cek.cert");
        foreach (int f in (int[])[L.Platform.PublicKeyX, L.Platform.PublicKeyY, L.Platform.Signature1 + L.Platform.SlotR,
                     L.Platform.Signature1 + L.Platform.SlotS, L.Platform.Signature2 + L.Platform.SlotR, L.Platform.Signature2 + L.Platform.SlotS])
            Assert.True(cek.AsSpan(f + 32, 40).IndexOfAnyExcept((byte)0) < 0, $"cek field 0x{f:x3}");
        CsvCertificate.Parse(cek, "CEK");
    }

    [Fact]
    public void MalformedOrStaleHskCekFiles_AreSkipped_AndTheGoodOneIsUsed()
    {
        var corrupt = Chain.HskCek();
        corrupt[L.Ca.PublicKeyX + 40] = 0xff;                        // HSK field tail: does not parse
        var staleHsk = new TestCsvChain(22).Hsk;                      // same CEK, HSK of another root: root lookup fails
        var stale = Chain.HskCek(hsk: staleHsk);
        var trust = new PlatformTrust
        {
            RootCertificates = [Chain.Hrk.ToArray()],
            ExtraRootFingerprints = [Chain.Hrk.Fingerprint],
            Intermediates = [corrupt, stale, Chain.HskCek()],
        };
        // Each bad file alone fails the chain (so the test really exercises skipping).
        Assert.Throws<ChainVerificationException>(() => CsvChainVerifier.Verify(Chain.Pdh.ToArray(), Chain.CertChain(),
            new PlatformTrust { RootCertificates = trust.RootCertificates, ExtraRootFingerprints = trust.ExtraRootFingerprints, Intermediates = [corrupt, stale] }));
        Assert.Equal(7, CsvChainVerifier.Verify(Chain.Pdh.ToArray(), Chain.CertChain(), trust).VerifiedLinks.Count);
    }

    [Fact]
    public void WhenNoHskCekCandidateWorks_TheErrorSaysWhatWasTried()
    {
        var corrupt = Chain.HskCek();
        corrupt[L.Ca.PublicKeyX + 40] = 0xff;
        var wrongSid = CsvCertificate.Create(2, 1, 1, CsvUsage.Cek, CsvAlgorithm.Sm2Sign,
                Sm2.ExportPublicKey(Chain.CekKey.Public).X, Sm2.ExportPublicKey(Chain.CekKey.Public).Y, "TEST-SSD-CEK"u8, new byte[16])
            .SignWith(1, Chain.Hsk, Chain.HskKey.Private, Chain.Random);
        var unsignedCek = Chain.HskCek(cek: Chain.CekUnsigned);
        var trust = new PlatformTrust
        {
            RootCertificates = [Chain.Hrk.ToArray()],
            ExtraRootFingerprints = [Chain.Hrk.Fingerprint],
            Intermediates = [corrupt, Chain.HskCek(cek: wrongSid), unsignedCek],
        };
        var e = Broken(Chain.Pdh.ToArray(), Chain.CertChain(), trust);
        Assert.Equal(CsvChainVerifier.LinkHskCek, e.Link);
        Assert.Contains("none of the 2 hsk_cek file(s)", e.Message);
        Assert.Contains("intermediate #2", e.Message);
        Assert.Contains("intermediate #3", e.Message);
        Assert.Contains("intermediate #1 does not parse", e.Message);
    }

    [Theory]
    [InlineData(" ", "")]
    [InlineData("", "\t\n")]
    public void ExtraRootFingerprint_IsNormalisedTheSameWayForCsv(string before, string after)
    {
        var trust = new PlatformTrust
        {
            RootCertificates = [Chain.Hrk.ToArray()],
            ExtraRootFingerprints = [before + Chain.Hrk.Fingerprint.ToUpperInvariant() + after],
            Intermediates = [Chain.HskCek()],
        };
        Assert.True(trust.IsAllowedExtraRoot(Chain.Hrk.Fingerprint));
        Assert.True(trust.IsAllowedExtraRoot(" " + Chain.Hrk.Fingerprint.ToUpperInvariant()));
        Assert.False(trust.IsAllowedExtraRoot(""));
        Assert.False(trust.IsAllowedExtraRoot(null));
        Assert.False(PlatformTrust.BuiltInOnly.IsAllowedExtraRoot(Chain.Hrk.Fingerprint));
        Assert.False(CsvChainVerifier.Verify(Chain.Pdh.ToArray(), Chain.CertChain(), trust).RootPinned);
    }
}
