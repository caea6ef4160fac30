using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Crypto.Tests.Csv;

public class CsvChainVerifierTests
{
    private static readonly TestCsvChain Chain = new(1);

    private static ChainVerificationException Broken(byte[] pdh, byte[] chain, PlatformTrust trust) =>
        Assert.Throws<ChainVerificationException>(() => CsvChainVerifier.Verify(pdh, chain, trust));

    [Fact]
    public void GeneratedChainVerifies_WithAnAllowedExtraRoot()
    {
        var result = CsvChainVerifier.Verify(Chain.Pdh.ToArray(), Chain.CertChain(), Chain.Trust());

        Assert.Equal(PlatformKind.Csv, result.Platform);
        Assert.Equal("extra", result.RootName);
        Assert.False(result.RootPinned);
        Assert.Equal(Chain.Hrk.Fingerprint, result.RootFingerprint);
        byte[] cekKey = [.. Chain.CekUnsigned.PublicKeyX, .. Chain.CekUnsigned.PublicKeyY];
        Assert.Equal(Convert.ToHexString(SHA256.HashData(cekKey)).ToLowerInvariant(), result.ChipId);
        Assert.Equal(["HRK self", "HRK->HSK", "HSK->CEK", "CEK->PEK", "OCA self", "OCA->PEK", "PEK->PDH"], result.VerifiedLinks);
    }

    [Fact]
    public void ExtraRootFingerprintIsCaseInsensitive()
    {
        var trust = new PlatformTrust
        {
            RootCertificates = [Chain.Hrk.ToArray()],
            ExtraRootFingerprints = [Chain.Hrk.Fingerprint.ToUpperInvariant()],
            Intermediates = [Chain.HskCek()],
        };
        Assert.Equal("extra", CsvChainVerifier.Verify(Chain.Pdh.ToArray(), Chain.CertChain(), trust).RootName);
    }

    [Fact]
    public void UnpinnedRootIsRejected()
    {
        var e = Broken(Chain.Pdh.ToArray(), Chain.CertChain(), Chain.Trust(allowRoot: false));
        Assert.Equal("root", e.Link);
        Assert.Contains("0 of them allowed", e.Message);
    }

    [VectorFact]
    public void AllowedRootThatDidNotCertifyTheHskIsNotUsed()
    {
        var other = new TestCsvChain(2);
        var trust = new PlatformTrust
        {
            RootCertificates = [Chain.Hrk.ToArray(), Vectors.Read("hygon/hrk.cert")],
            ExtraRootFingerprints = [],
            Intermediates = [Chain.HskCek()],
        };
        // The real Hygon HRK is pinned, but its key id is not the HSK's certifying id.
        Assert.Equal("root", Broken(Chain.Pdh.ToArray(), Chain.CertChain(), trust).Link);
        // Same key id (the test ids are fixed) but another key: the HRK->HSK signature fails.
        Assert.Equal("HRK->HSK", Broken(Chain.Pdh.ToArray(), Chain.CertChain(), Chain.Trust(hrk: other.Hrk)).Link);
    }

    [VectorFact]
    public void RealPinnedHrkAndHskCekVerifyUpToTheCek()
    {
        // Real Hygon HRK + hsk_cek, with a chain whose CEK is the real CEK: everything Hygon signed verifies
        // (HRK self, HRK->HSK, HSK->CEK); our PEK was not signed by the real CEK, so CEK->PEK breaks.
        var realCek = CsvCertificate.Parse(Vectors.Read("hygon/cek.cert"));
        var trust = new PlatformTrust
        {
            RootCertificates = [Vectors.Read("hygon/hrk.cert")],
            Intermediates = [Vectors.Read("hygon/hsk_cek.cert")],
        };
        var e = Broken(Chain.Pdh.ToArray(), Chain.CertChain(cek: realCek), trust);
        Assert.Equal("CEK->PEK", e.Link);
    }

    [Fact]
    public void PdhSignedByAnotherPekIsRejected()
    {
        var stranger = Chain.Key();
        var otherPek = CsvCertificate.Create(CsvUsage.Pek, CsvAlgorithm.Sm2Sign, stranger.Public, "TEST-SSD-PEK");
        var pdh = Chain.Pdh.SignWith(1, otherPek, stranger.Private, Chain.Random);
        var e = Broken(pdh.ToArray(), Chain.CertChain(), Chain.Trust());
        Assert.Equal("PEK->PDH", e.Link);
        Assert.Contains("does not verify", e.Message);
    }

    [Fact]
    public void WrongSlotUsageIsRejected()
    {
        // The PEK's valid signature, but the slot claims the OCA made it.
        var slot = Chain.Pdh.Signature1;
        var pdh = Chain.Pdh.WithSignature(1, new CsvSignatureSlot(CsvUsage.Oca, slot.Algorithm, slot.R, slot.S));
        var e = Broken(pdh.ToArray(), Chain.CertChain(), Chain.Trust());
        Assert.Equal("PEK->PDH", e.Link);
        Assert.Contains("no signature slot with usage 0x1002", e.Message);

        // The PEK's CEK slot relabelled as a PDH signature.
        var cekSlot = Chain.Pek.Signature1;
        var pek = Chain.Pek.WithSignature(1, new CsvSignatureSlot(CsvUsage.Pdh, cekSlot.Algorithm, cekSlot.R, cekSlot.S));
        Assert.Equal("CEK->PEK", Broken(Chain.Pdh.ToArray(), Chain.CertChain(pek: pek), Chain.Trust()).Link);
    }

    [Fact]
    public void WrongUserIdIsRejected()
    {
        // Signed by the right PEK key, but with the library default SM2 ID instead of the PEK's user id.
        var pdh = Chain.Pdh.Sign(1, CsvUsage.Pek, Chain.PekKey.Private, "1234567812345678"u8, Chain.Random);
        var e = Broken(pdh.ToArray(), Chain.CertChain(), Chain.Trust());
        Assert.Equal("PEK->PDH", e.Link);
        Assert.Contains("TEST-SSD-PEK", e.Message);

        var cek = Chain.CekUnsigned.Sign(1, CsvUsage.Hsk, Chain.HskKey.Private, "TEST-SSD-CEK"u8, Chain.Random);
        Assert.Equal("HSK->CEK", Broken(Chain.Pdh.ToArray(), Chain.CertChain(), Chain.Trust(hskCek: Chain.HskCek(cek: cek))).Link);
    }

    [Fact]
    public void EachLinkIsNamedWhenItBreaks()
    {
        var stranger = Chain.Key();
        var pdh = Chain.Pdh.ToArray();

        var hrk = CsvCaCertificate.Create(CsvUsage.Hrk, TestCsvChain.HrkId, TestCsvChain.HrkId, Chain.HrkKey.Public, "TEST-SSD-HRK")
            .Sign(stranger.Private, "TEST-SSD-HRK"u8, Chain.Random);
        Assert.Equal("HRK self", Broken(pdh, Chain.CertChain(), Chain.Trust(hrk: hrk)).Link);

        var hsk = CsvCaCertificate.Create(CsvUsage.Hsk, TestCsvChain.HskId, TestCsvChain.HrkId, Chain.HskKey.Public, "TEST-SSD-HSK")
            .Sign(stranger.Private, Chain.Hrk.UserIdBytes, Chain.Random);
        Assert.Equal("HRK->HSK", Broken(pdh, Chain.CertChain(), Chain.Trust(hskCek: Chain.HskCek(hsk: hsk))).Link);

        var unsignedCek = Chain.HskCek(cek: Chain.CekUnsigned);
        var e = Broken(pdh, Chain.CertChain(), Chain.Trust(hskCek: unsignedCek));
        Assert.Equal("HSK->CEK", e.Link);
        Assert.Contains("no signature slot with usage 0x0013", e.Message);

        var pekNoCek = Chain.Pek.WithSignature(1, CsvSignatureSlot.Empty);
        Assert.Equal("CEK->PEK", Broken(pdh, Chain.CertChain(pek: pekNoCek), Chain.Trust()).Link);

        var oca = Chain.Oca.Sign(1, CsvUsage.Oca, stranger.Private, Chain.Oca.UserIdBytes, Chain.Random);
        Assert.Equal("OCA self", Broken(pdh, Chain.CertChain(oca: oca), Chain.Trust()).Link);

        var pekWrongOca = Chain.Pek.Sign(2, CsvUsage.Oca, stranger.Private, Chain.Oca.UserIdBytes, Chain.Random);
        Assert.Equal("OCA->PEK", Broken(pdh, Chain.CertChain(pek: pekWrongOca), Chain.Trust()).Link);

        var emptyPdh = Chain.Pdh.WithSignature(1, CsvSignatureSlot.Empty).ToArray();
        Assert.Equal("PEK->PDH", Broken(emptyPdh, Chain.CertChain(), Chain.Trust()).Link);
    }

    [Fact]
    public void MissingHskCekIsNamed()
    {
        var other = new TestCsvChain(3);
        var trust = new PlatformTrust
        {
            RootCertificates = [Chain.Hrk.ToArray()],
            ExtraRootFingerprints = [Chain.Hrk.Fingerprint],
            // Another chip's hsk_cek, plus files of other sizes/platforms that must be skipped.
            Intermediates = [other.HskCek(), SoftwarePlatform.Create(PlatformKind.Sev, new SoftwarePlatformOptions { Seed = SoftwarePlatformSeeds.DevelopmentSeed }).PdhCertificate, new byte[10]],
        };
        var e = Broken(Chain.Pdh.ToArray(), Chain.CertChain(), trust);
        Assert.Equal("hsk_cek", e.Link);
        Assert.Contains("1 CSV hsk_cek", e.Message);
    }

    [Fact]
    public void TheSignedCekFromTheHskCekFileIsTheOneVerified()
    {
        // A chain CEK with a forged HSK slot is irrelevant: the hsk_cek copy carries the HSK signature.
        var forged = Chain.CekUnsigned.Sign(1, CsvUsage.Hsk, Chain.Key().Private, Chain.Hsk.UserIdBytes, Chain.Random);
        Assert.Equal(7, CsvChainVerifier.Verify(Chain.Pdh.ToArray(), Chain.CertChain(cek: forged), Chain.Trust()).VerifiedLinks.Count);
    }

    [Fact]
    public void MalformedInputsThrowInvalidCertificate()
    {
        var e = Assert.Throws<InvalidCertificateException>(() =>
            CsvChainVerifier.Verify(Chain.Pdh.ToArray(), Chain.CertChain()[..4168], Chain.Trust()));
        Assert.Equal("cert_chain", e.Certificate);
        Assert.Contains("4168", e.Message);

        // Certificates in the wrong position: PEK where the PDH belongs.
        e = Assert.Throws<InvalidCertificateException>(() =>
            CsvChainVerifier.Verify(Chain.Pek.ToArray(), Chain.CertChain(), Chain.Trust()));
        Assert.Equal("PDH", e.Certificate);
        Assert.Contains("0x1002", e.Message);

        e = Assert.Throws<InvalidCertificateException>(() =>
            CsvChainVerifier.Verify(Chain.Pdh.ToArray(), Chain.CertChain(pek: Chain.Oca), Chain.Trust()));
        Assert.Equal("PEK", e.Certificate);
    }
}
