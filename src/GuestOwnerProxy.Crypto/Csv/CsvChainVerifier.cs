using System.Security.Cryptography;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using L = GuestOwnerProxy.Crypto.Csv.CsvCertificateLayout;

namespace GuestOwnerProxy.Crypto.Csv;

/// <summary>
/// Verifies a Hygon CSV platform chain:
/// HRK (pinned, self-signed) → HSK → CEK → PEK ← OCA (self-signed), PEK → PDH.
/// The HSK and the HSK-signed CEK come from operator-provided <c>hsk_cek</c> files (the proxy is
/// offline), matched to the chain's CEK by public key. Any failure names the link.
/// </summary>
public static class CsvChainVerifier
{
    /// <summary>SHA-256 of Hygon's published HRK (csv-rs <c>builtin/hrk.cert</c>).</summary>
    public const string HygonHrkFingerprint = "296efa97580464aca0ab5eefe42199ee05862182508d1629f29cf4dc175b10cd";

    public const string LinkHrkSelf = "HRK self";
    public const string LinkHrkHsk = "HRK->HSK";
    public const string LinkHskCek = "HSK->CEK";
    public const string LinkCekPek = "CEK->PEK";
    public const string LinkOcaSelf = "OCA self";
    public const string LinkOcaPek = "OCA->PEK";
    public const string LinkPekPdh = "PEK->PDH";
    public const string LinkRoot = "root";
    public const string LinkHskCekFile = "hsk_cek";

    /// <param name="pdh">The PDH certificate (2084 bytes).</param>
    /// <param name="certChain">cert_chain.cert: PEK ‖ OCA ‖ CEK (6252 bytes).</param>
    public static ChainVerificationResult Verify(ReadOnlySpan<byte> pdh, ReadOnlySpan<byte> certChain, PlatformTrust trust)
    {
        ArgumentNullException.ThrowIfNull(trust);
        var pdhCert = ParseRole(pdh, "PDH", CsvUsage.Pdh);
        if (certChain.Length != L.CertChainSize)
            throw new InvalidCertificateException("cert_chain",
                $"size {certChain.Length} bytes, a CSV cert_chain (PEK ‖ OCA ‖ CEK) is {L.CertChainSize} bytes");
        var pek = ParseRole(certChain[..L.Platform.Size], "PEK", CsvUsage.Pek);
        var oca = ParseRole(certChain.Slice(L.Platform.Size, L.Platform.Size), "OCA", CsvUsage.Oca);
        var cek = ParseRole(certChain.Slice(2 * L.Platform.Size, L.Platform.Size), "CEK", CsvUsage.Cek);
        return Verify(pdhCert, pek, oca, cek, trust);
    }

    public static ChainVerificationResult Verify(CsvCertificate pdh, CsvCertificate pek, CsvCertificate oca, CsvCertificate cek,
        PlatformTrust trust)
    {
        RequireUsage(pdh, "PDH", CsvUsage.Pdh);
        RequireUsage(pek, "PEK", CsvUsage.Pek);
        RequireUsage(oca, "OCA", CsvUsage.Oca);
        RequireUsage(cek, "CEK", CsvUsage.Cek);

        var (_, signedCek, hrk, pinned, links) = VerifyIssuer(cek, trust);
        // The PEK is checked against the CEK from the hsk_cek file: it has the chain CEK's key and a verified HSK signature.
        CheckPlatformLink(links, LinkCekPek, pek, CsvUsage.Cek, () => pek.IsSignedBy(signedCek), signedCek.UserId);
        CheckPlatformLink(links, LinkOcaSelf, oca, CsvUsage.Oca, () => oca.IsSignedBy(oca), oca.UserId);
        CheckPlatformLink(links, LinkOcaPek, pek, CsvUsage.Oca, () => pek.IsSignedBy(oca), oca.UserId);
        CheckPlatformLink(links, LinkPekPdh, pdh, CsvUsage.Pek, () => pdh.IsSignedBy(pek), pek.UserId);

        var chipId = Convert.ToHexString(SHA256.HashData([.. cek.PublicKeyX, .. cek.PublicKeyY])).ToLowerInvariant();
        return new ChainVerificationResult(PlatformKind.Csv, chipId, hrk.Fingerprint, pinned, pinned ? "hygon" : "extra", links);
    }

    private static CsvCertificate ParseRole(ReadOnlySpan<byte> bytes, string role, CsvUsage usage)
    {
        var cert = CsvCertificate.Parse(bytes, role);
        RequireUsage(cert, role, usage);
        return cert;
    }

    /// <summary>Requires the usage and the key algorithm that goes with it: a PDH is an SM2 key-exchange key (5),
    /// the OCA, PEK and CEK are SM2 signing keys (4). A signing key offered as the PDH (or the reverse) is refused.</summary>
    private static void RequireUsage(CsvCertificate cert, string role, CsvUsage usage)
    {
        if (cert.Usage != usage)
            throw new InvalidCertificateException(role,
                $"usage 0x{(uint)cert.Usage:x4} ({cert.Usage}) where a {role} has 0x{(uint)usage:x4}");
        var algorithm = ExpectedAlgorithm(usage);
        if (cert.Algorithm != algorithm)
            throw new InvalidCertificateException(role,
                $"algorithm {(uint)cert.Algorithm} ({cert.Algorithm}) where a {role} has {(uint)algorithm} ({algorithm})");
    }

    /// <summary>The key algorithm a CSV platform certificate of <paramref name="usage"/> must carry.</summary>
    public static CsvAlgorithm ExpectedAlgorithm(CsvUsage usage) =>
        usage == CsvUsage.Pdh ? CsvAlgorithm.Sm2KeyExchange : CsvAlgorithm.Sm2Sign;

    /// <summary>
    /// HRK → HSK → CEK for the chain's CEK. Every operator hsk_cek file whose CEK carries the chain CEK's public key
    /// is a candidate; a file that does not parse, or whose HSK/CEK does not verify up to an allowed root (a stale
    /// file from an earlier HSK generation, a corrupted copy), is skipped and the next one tried. Only when no
    /// candidate verifies does the chain fail: with the single candidate's own error, or with every attempt listed.
    /// </summary>
    private static (CsvCaCertificate Hsk, CsvCertificate Cek, CsvCaCertificate Hrk, bool Pinned, List<string> Links) VerifyIssuer(
        CsvCertificate cek, PlatformTrust trust)
    {
        var skipped = new List<string>();
        var failures = new List<(string Candidate, ChainVerificationException Error)>();
        int index = 0, csvFiles = 0;
        foreach (var file in trust.Intermediates)
        {
            index++;
            if (file is null || file.Length != L.HskCekSize || !CsvCertificate.LooksLikeCsv(file.AsSpan(L.Ca.Size)))
                continue; // a file of another size or platform (AMD ASK, SEV CEK, ...)
            csvFiles++;
            CsvCaCertificate hsk;
            CsvCertificate fileCek;
            try
            {
                hsk = CsvCaCertificate.Parse(file.AsSpan(0, L.Ca.Size), "hsk_cek HSK");
                fileCek = CsvCertificate.Parse(file.AsSpan(L.Ca.Size), "hsk_cek CEK");
                if (hsk.Usage != CsvUsage.Hsk)
                    throw new InvalidCertificateException("hsk_cek HSK", $"usage 0x{(uint)hsk.Usage:x4} ({hsk.Usage}) where an HSK has 0x0013");
                if (fileCek.Usage == CsvUsage.Cek && fileCek.Algorithm != CsvAlgorithm.Sm2Sign)
                    throw new InvalidCertificateException("hsk_cek CEK",
                        $"algorithm {(uint)fileCek.Algorithm} ({fileCek.Algorithm}) where a CEK has {(uint)CsvAlgorithm.Sm2Sign} ({CsvAlgorithm.Sm2Sign})");
            }
            catch (InvalidCertificateException e)
            {
                skipped.Add($"intermediate #{index} does not parse ({e.Message})");
                continue;
            }
            if (fileCek.Usage != CsvUsage.Cek || !fileCek.HasSamePublicKey(cek))
                continue; // another chip's hsk_cek
            try
            {
                var links = new List<string>();
                var (hrk, pinned) = VerifyHskCek(hsk, fileCek, trust, links);
                return (hsk, fileCek, hrk, pinned, links);
            }
            catch (ChainVerificationException e)
            {
                failures.Add(($"intermediate #{index}", e));
            }
        }

        string skippedNote = skipped.Count == 0 ? "" : "; skipped: " + string.Join("; ", skipped);
        if (failures.Count == 1 && skipped.Count == 0)
            throw failures[0].Error;
        if (failures.Count > 0)
            throw new ChainVerificationException(failures[0].Error.Link,
                $"none of the {failures.Count} hsk_cek file(s) holding this CEK verifies: " +
                string.Join("; ", failures.Select(f => $"{f.Candidate}: {f.Error.Link}: {f.Error.Reason}")) + skippedNote);
        throw new ChainVerificationException(LinkHskCekFile,
            $"none of the {csvFiles} CSV hsk_cek file(s) holds the CEK with public key x {Hex(cek.PublicKeyX)}; fetch this chip's hsk_cek from Hygon's key server{skippedNote}");
    }

    /// <summary>The CA part of the chain for one hsk_cek candidate: allowed root → HRK self → HRK->HSK → HSK->CEK.</summary>
    private static (CsvCaCertificate Hrk, bool Pinned) VerifyHskCek(CsvCaCertificate hsk, CsvCertificate signedCek, PlatformTrust trust,
        List<string> links)
    {
        var (hrk, pinned) = FindRoot(hsk, trust);
        Check(links, LinkHrkSelf, hrk.CertifyingId.SequenceEqual(hrk.KeyId),
            "the HRK's certifying id is not its own key id");
        Check(links, LinkHrkSelf, hrk.VerifySignature(hrk.PublicKey, hrk.UserIdBytes),
            $"the HRK self-signature does not verify (SM2 ID '{hrk.UserId}')");
        Check(links, LinkHrkHsk, hsk.CertifyingId.SequenceEqual(hrk.KeyId),
            $"the HSK's certifying id {Hex(hsk.CertifyingId)} is not the HRK key id {Hex(hrk.KeyId)}");
        Check(links, LinkHrkHsk, hsk.VerifySignature(hrk.PublicKey, hrk.UserIdBytes),
            $"the HSK signature does not verify under the HRK (SM2 ID '{hrk.UserId}')");
        // A CEK names its issuing HSK in "sid" (confirmed on the real CEK): a CEK from another HSK generation must not pass.
        Check(links, LinkHskCek, signedCek.Sid.SequenceEqual(hsk.KeyId),
            $"the CEK's sid {Hex(signedCek.Sid)} is not the HSK key id {Hex(hsk.KeyId)}");
        CheckPlatformLink(links, LinkHskCek, signedCek, CsvUsage.Hsk, () => signedCek.IsSignedBy(hsk), hsk.UserId);
        return (hrk, pinned);
    }

    /// <summary>An allowed root (pinned fingerprint or operator-listed extra) that certified the HSK.</summary>
    private static (CsvCaCertificate Hrk, bool Pinned) FindRoot(CsvCaCertificate hsk, PlatformTrust trust)
    {
        int allowed = 0;
        foreach (var file in trust.RootCertificates)
        {
            if (file is null || file.Length != L.Ca.Size)
                continue;
            string fingerprint = Convert.ToHexString(SHA256.HashData(file)).ToLowerInvariant();
            bool pinned = fingerprint == HygonHrkFingerprint;
            if (!pinned && !trust.IsAllowedExtraRoot(fingerprint))
                continue;
            allowed++;
            CsvCaCertificate hrk;
            try
            {
                hrk = CsvCaCertificate.Parse(file, "HRK");
            }
            catch (InvalidCertificateException)
            {
                continue; // an allowed root of the other platform (an AMD ARK is 832 bytes too)
            }
            if (hrk.Usage == CsvUsage.Hrk && hrk.KeyId.SequenceEqual(hsk.CertifyingId))
                return (hrk, pinned);
        }
        throw new ChainVerificationException(LinkRoot,
            $"no pinned or allowed HRK with key id {Hex(hsk.CertifyingId)} (the HSK's certifying id) among {trust.RootCertificates.Count} root file(s), {allowed} of them allowed");
    }

    private static void CheckPlatformLink(List<string> links, string link, CsvCertificate subject, CsvUsage signerUsage,
        Func<bool> verify, string signerUserId)
    {
        var slots = subject.SignaturesBy(signerUsage);
        if (slots.Count == 0)
            throw new ChainVerificationException(link,
                $"the {subject.Role} has no signature slot with usage 0x{(uint)signerUsage:x4} ({signerUsage}); slots: {subject.Signature1}; {subject.Signature2}");
        if (!slots.Any(s => s.Algorithm == CsvAlgorithm.Sm2Sign))
            throw new ChainVerificationException(link,
                $"the {subject.Role}'s {signerUsage} signature slot has algorithm {(uint)slots[0].Algorithm}, not {(uint)CsvAlgorithm.Sm2Sign} (SM2 signing); slots: {subject.Signature1}; {subject.Signature2}");
        Check(links, link, verify(), $"the {signerUsage} signature on the {subject.Role} does not verify (SM2 ID '{signerUserId}')");
    }

    private static void Check(List<string> links, string link, bool ok, string reason)
    {
        if (!ok)
            throw new ChainVerificationException(link, reason);
        if (links.Count == 0 || links[^1] != link)
            links.Add(link);
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
