using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Sev;
using static GuestOwnerProxy.Crypto.Tests.Vectors;

namespace GuestOwnerProxy.Crypto.Tests.Sev;

public class SevChainVerifierTests
{
    private static readonly string[] AllLinks =
        ["ARK self", "ARK->ASK", "ASK->CEK", "CEK->PEK", "OCA self", "OCA->PEK", "PEK->PDH"];

    private static byte[] NaplesShortChain(byte[]? cek = null) =>
        [.. Read("amd/naples/pek.cert"), .. Read("amd/naples/oca.cert"), .. cek ?? Read("amd/naples/cek.cert")];

    private static PlatformTrust NaplesTrust(params byte[][] extraIntermediates) => new()
    {
        RootCertificates = [Read("amd/builtin/naples/ark.cert")],
        Intermediates = [Read("amd/builtin/naples/ask.cert"), .. extraIntermediates],
    };

    /// <summary>Chip id computed from literal offsets: SHA-256(X ‖ Y big-endian), 48 bytes each on P-384.</summary>
    private static string ExpectedChipId(byte[] cek)
    {
        var x = cek.AsSpan(0x14, 48).ToArray();
        var y = cek.AsSpan(0x14 + 72, 48).ToArray();
        Array.Reverse(x);
        Array.Reverse(y);
        return ToHex(SHA256.HashData([.. x, .. y]));
    }

    private static ChainVerificationException Broken(string link, Action verify)
    {
        var ex = Assert.Throws<ChainVerificationException>(verify);
        Assert.Equal(link, ex.Link);
        return ex;
    }

    [VectorFact]
    public void S10_NaplesChain_FromTrustFiles()
    {
        var result = SevChainVerifier.Verify(Read("amd/naples/pdh.cert"), NaplesShortChain(), NaplesTrust());
        Assert.Equal(PlatformKind.Sev, result.Platform);
        Assert.Equal("naples", result.RootName);
        Assert.True(result.RootPinned);
        Assert.Equal(AmdRootPins.Naples, result.RootFingerprint);
        Assert.Equal(AllLinks, result.VerifiedLinks);
        Assert.Equal(ExpectedChipId(Read("amd/naples/cek.cert")), result.ChipId);
        Assert.Matches("^[0-9a-f]{64}$", result.ChipId);
    }

    [VectorFact]
    public void S10_NaplesFullExport_NeedsNoTrustFiles()
    {
        var full = Read("amd/naples/cert_chain_full.bin");
        Assert.Equal(10000, full.Length);
        var result = SevChainVerifier.Verify([], full, PlatformTrust.BuiltInOnly);
        Assert.Equal("naples", result.RootName);
        Assert.Equal(AllLinks, result.VerifiedLinks);
        Assert.Equal(ExpectedChipId(Read("amd/naples/cek.cert")), result.ChipId);
    }

    [VectorFact]
    public void RomeFullExport_Verifies()
    {
        var full = Read("more/rome/cert_chain_full.bin");
        Assert.Equal(11536, full.Length);
        var result = SevChainVerifier.Verify([], full, PlatformTrust.BuiltInOnly);
        Assert.Equal("rome", result.RootName);
        Assert.Equal(AmdRootPins.Rome, result.RootFingerprint);
        Assert.Equal(AllLinks, result.VerifiedLinks);
        Assert.Equal(ExpectedChipId(Read("more/rome/cek.cert")), result.ChipId);
    }

    [VectorFact]
    public void RomeShortChain_WithBuiltinRomeRoots_Verifies()
    {
        byte[] chain = [.. Read("more/rome/pek.cert"), .. Read("more/rome/oca.cert"), .. Read("more/rome/cek.cert")];
        var trust = new PlatformTrust
        {
            // AMD's key server format: ASK ‖ ARK in one file.
            Intermediates = [[.. Read("amd/builtin/rome/ask.cert"), .. Read("amd/builtin/rome/ark.cert")]],
        };
        var result = SevChainVerifier.Verify(Read("more/rome/pdh.cert"), chain, trust);
        Assert.Equal("rome", result.RootName);
    }

    [VectorFact]
    public void S11_NaplesArkFromBadPlusSig_Verifies()
    {
        var trust = new PlatformTrust
        {
            RootCertificates = [[.. Read("amd/naples/ark.cert.bad"), .. Read("amd/naples/ark.cert.sig")]],
            Intermediates = [Read("amd/builtin/naples/ask.cert")],
        };
        Assert.Equal("naples", SevChainVerifier.Verify(Read("amd/naples/pdh.cert"), NaplesShortChain(), trust).RootName);
    }

    [VectorFact]
    public void UnsignedCek_TakesAskSignedCekFromIntermediates()
    {
        var unsigned = Read("amd/naples/cek.cert");
        unsigned.AsSpan(0x414, 520).Clear();
        BitConverter.GetBytes(0x1000u).CopyTo(unsigned, 0x414);

        Broken("ASK->CEK", () => SevChainVerifier.Verify(Read("amd/naples/pdh.cert"), NaplesShortChain(unsigned), NaplesTrust()));

        var result = SevChainVerifier.Verify(Read("amd/naples/pdh.cert"), NaplesShortChain(unsigned),
            NaplesTrust(Read("amd/naples/cek.cert")));
        Assert.Equal(AllLinks, result.VerifiedLinks);
    }

    [VectorFact]
    public void SignedCekOfAnotherChip_IsNotUsed()
    {
        var unsigned = Read("more/rome/cek.cert");
        unsigned.AsSpan(0x414, 520).Clear();
        BitConverter.GetBytes(0x1000u).CopyTo(unsigned, 0x414);
        byte[] chain = [.. Read("more/rome/pek.cert"), .. Read("more/rome/oca.cert"), .. unsigned];
        var trust = new PlatformTrust
        {
            RootCertificates = [Read("amd/builtin/naples/ark.cert")],
            Intermediates = [Read("amd/builtin/naples/ask.cert"), Read("amd/naples/cek.cert")],
        };
        var ex = Broken("ASK->CEK", () => SevChainVerifier.Verify(Read("more/rome/pdh.cert"), chain, trust));
        Assert.Contains("unsigned", ex.Reason);
    }

    [VectorFact]
    public void HygonFilesInTrust_AreIgnored()
    {
        var trust = NaplesTrust(Read("hygon/hsk.cert"), Read("hygon/hsk_cek.cert"), Read("hygon/cek.cert"));
        trust = new PlatformTrust
        {
            RootCertificates = [Read("hygon/hrk.cert"), .. trust.RootCertificates],
            Intermediates = trust.Intermediates,
        };
        Assert.Equal("naples", SevChainVerifier.Verify(Read("amd/naples/pdh.cert"), NaplesShortChain(), trust).RootName);
    }

    [VectorFact]
    public void NoRoot_Rejected()
    {
        var ex = Broken("root", () => SevChainVerifier.Verify(Read("amd/naples/pdh.cert"), NaplesShortChain(),
            new PlatformTrust { Intermediates = [Read("amd/builtin/naples/ask.cert")] }));
        Assert.Contains("no ARK", ex.Reason);
    }

    [VectorFact]
    public void TamperedArkInFullExport_IsNotPinned()
    {
        var full = Read("amd/naples/cert_chain_full.bin");
        full[^10] ^= 0x01; // inside the ARK's signature
        var ex = Broken("root", () => SevChainVerifier.Verify([], full, PlatformTrust.BuiltInOnly));
        Assert.Contains("neither built-in AMD pins", ex.Reason);
    }

    [Fact]
    public void UnpinnedArk_Rejected_UnlessExplicitlyAllowed()
    {
        using var chain = new TestSevChain();
        Broken("root", () => SevChainVerifier.Verify([], chain.FullChain(), PlatformTrust.BuiltInOnly));

        var trust = new PlatformTrust { ExtraRootFingerprints = [chain.ArkFingerprint.ToUpperInvariant()] };
        var result = SevChainVerifier.Verify([], chain.FullChain(), trust);
        Assert.Equal("extra", result.RootName);
        Assert.False(result.RootPinned);
        Assert.Equal(chain.ArkFingerprint, result.RootFingerprint);
        Assert.Equal(AllLinks, result.VerifiedLinks);
        Assert.Equal(ExpectedChipId(chain.Cek), result.ChipId);
    }

    [Fact]
    public void AllowedArk_WithBrokenSelfSignature_FailsArkSelf()
    {
        using var chain = new TestSevChain();
        var ark = (byte[])chain.Ark.Clone();
        ark[^1] ^= 0x01;
        var trust = new PlatformTrust
        {
            RootCertificates = [ark],
            Intermediates = [chain.Ask, chain.Cek],
            ExtraRootFingerprints = [ToHex(SHA256.HashData(ark))],
        };
        Broken("ARK self", () => SevChainVerifier.Verify(chain.Pdh, chain.ShortChain(), trust));
    }

    [Fact]
    public void GeneratedShortChain_WithOperatorFiles_Verifies()
    {
        using var chain = new TestSevChain();
        var trust = new PlatformTrust
        {
            RootCertificates = [chain.Ark],
            Intermediates = [chain.Ask, chain.Cek],
            ExtraRootFingerprints = [chain.ArkFingerprint],
        };
        Assert.Equal(AllLinks, SevChainVerifier.Verify(chain.Pdh, chain.ShortChain(), trust).VerifiedLinks);
    }

    [VectorFact]
    public void WrongGenerationAsk_FailsArkToAsk()
    {
        var trust = new PlatformTrust
        {
            RootCertificates = [Read("amd/builtin/naples/ark.cert")],
            Intermediates = [Read("amd/builtin/rome/ask.cert")],
        };
        Broken("ARK->ASK", () => SevChainVerifier.Verify(Read("amd/naples/pdh.cert"), NaplesShortChain(), trust));
    }

    [VectorFact]
    public void NaplesCekUnderRomeRoots_FailsAskToCek()
    {
        var trust = new PlatformTrust
        {
            RootCertificates = [Read("amd/builtin/rome/ark.cert")],
            Intermediates = [Read("amd/builtin/rome/ask.cert")],
        };
        Broken("ASK->CEK", () => SevChainVerifier.Verify(Read("amd/naples/pdh.cert"), NaplesShortChain(), trust));
    }

    [VectorTheory]
    [InlineData("cek", 0x300, "ASK->CEK")]
    [InlineData("cek", 0x06, "ASK->CEK")]
    [InlineData("pek", 0x300, "CEK->PEK")]
    [InlineData("oca", 0x300, "OCA self")]
    [InlineData("pdh", 0x300, "PEK->PDH")]
    [InlineData("pdh", 0x413, "PEK->PDH")]
    [InlineData("pek", 0x61C + 8 + 5, "CEK->PEK")]   // the CEK's signature over the PEK
    [InlineData("pek", 0x414 + 8 + 5, "OCA->PEK")]   // the OCA's signature over the PEK
    [InlineData("pdh", 0x414 + 8 + 80, "PEK->PDH")]  // S of the PEK's signature
    public void TamperedSignedBytesOrSignature_NamesTheLink(string which, int offset, string link)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["pdh"] = Read("amd/naples/pdh.cert"),
            ["pek"] = Read("amd/naples/pek.cert"),
            ["oca"] = Read("amd/naples/oca.cert"),
            ["cek"] = Read("amd/naples/cek.cert"),
        };
        files[which][offset] ^= 0x01;
        byte[] chain = [.. files["pek"], .. files["oca"], .. files["cek"]];
        Broken(link, () => SevChainVerifier.Verify(files["pdh"], chain, NaplesTrust()));
    }

    [VectorFact]
    public void PdhSignedByAnotherPek_Rejected()
    {
        // A real PDH from another machine.
        Broken("PEK->PDH", () => SevChainVerifier.Verify(Read("more/rome/pdh.cert"), NaplesShortChain(), NaplesTrust()));

        // A well-formed PDH signed by a PEK key that is not the chain's.
        using var chain = new TestSevChain();
        using var otherPek = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var pdhKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        var trust = new PlatformTrust { ExtraRootFingerprints = [chain.ArkFingerprint] };
        var foreign = TestSevChain.SignedPdh(pdhKey, otherPek);
        Broken("PEK->PDH", () => SevChainVerifier.Verify(foreign, chain.FullChain(), trust));
        var own = TestSevChain.SignedPdh(pdhKey, chain.PekKey);
        Assert.Equal(AllLinks, SevChainVerifier.Verify(own, chain.FullChain(), trust).VerifiedLinks);
    }

    [VectorFact]
    public void ChainInWrongOrder_NamesCertificate()
    {
        byte[] swapped = [.. Read("amd/naples/oca.cert"), .. Read("amd/naples/pek.cert"), .. Read("amd/naples/cek.cert")];
        var ex = Assert.Throws<InvalidCertificateException>(() =>
            SevChainVerifier.Verify(Read("amd/naples/pdh.cert"), swapped, NaplesTrust()));
        Assert.Equal("PEK", ex.Certificate);
    }

    [VectorTheory]
    [InlineData(0)]
    [InlineData(6251)]
    [InlineData(6253)]
    [InlineData(9999)]
    [InlineData(11537)]
    public void ChainOfWrongSize_Rejected(int size)
    {
        var chain = new byte[size];
        var ex = Assert.Throws<InvalidCertificateException>(() =>
            SevChainVerifier.Verify(Read("amd/naples/pdh.cert"), chain, NaplesTrust()));
        Assert.Contains($"size {size}", ex.Message);
    }

    [VectorFact]
    public void ShortChainWithoutPdh_Rejected()
    {
        var ex = Assert.Throws<InvalidCertificateException>(() => SevChainVerifier.Verify([], NaplesShortChain(), NaplesTrust()));
        Assert.Equal("PDH", ex.Certificate);
    }

    [VectorFact]
    public void CsvChain_IsRejectedAsNotSev()
    {
        var csv = Read("hygon/cek.cert");
        byte[] chain = [.. csv, .. csv, .. csv];
        var ex = Assert.Throws<InvalidCertificateException>(() => SevChainVerifier.Verify(csv, chain, NaplesTrust()));
        Assert.Contains("Hygon CSV", ex.Message);
    }
}
