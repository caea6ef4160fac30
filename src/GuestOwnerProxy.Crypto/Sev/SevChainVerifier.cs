using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using System.Security.Cryptography;

namespace GuestOwnerProxy.Crypto.Sev;

/// <summary>
/// Verifies ARK (pinned) self → ASK → CEK → PEK, OCA self → PEK and PEK → PDH.
/// ASK/ARK come from a full export or from the operator's <see cref="PlatformTrust"/>; a firmware export's
/// CEK is unsigned, so the ASK-signed CEK with the same public key is then taken from the intermediates.
/// </summary>
public static class SevChainVerifier
{
    public const string ArkSelf = "ARK self";
    public const string ArkToAsk = "ARK->ASK";
    public const string AskToCek = "ASK->CEK";
    public const string CekToPek = "CEK->PEK";
    public const string OcaSelf = "OCA self";
    public const string OcaToPek = "OCA->PEK";
    public const string PekToPdh = "PEK->PDH";
    public const string Root = "root";
    public const string ExtraRootName = "extra";

    /// <param name="pdh">The PDH (2084 bytes); may be empty when <paramref name="chain"/> is a full export.</param>
    /// <param name="chain">PEK ‖ OCA ‖ CEK, or PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK.</param>
    public static ChainVerificationResult Verify(ReadOnlySpan<byte> pdh, ReadOnlySpan<byte> chain, PlatformTrust trust)
    {
        var parsed = SevCertificateChain.Parse(chain);
        SevCertificate pdhCert = pdh.Length > 0
            ? SevCertificate.Parse(pdh, "PDH", SevUsage.Pdh)
            : parsed.Pdh ?? throw new InvalidCertificateException("PDH",
                "no PDH given and the chain is not a full export (PDH ‖ PEK ‖ OCA ‖ CEK ‖ ASK ‖ ARK)");
        return Verify(pdhCert, parsed, trust);
    }

    public static ChainVerificationResult Verify(SevCertificate pdh, SevCertificateChain chain, PlatformTrust trust)
    {
        ArgumentNullException.ThrowIfNull(trust);
        var material = TrustMaterial.Collect(chain, trust);
        var links = new List<string>();

        // Root: only pinned or explicitly allowed ARKs count, pinned ones preferred.
        var allowed = material.Arks
            .Select(ark => (ark, generation: AmdRootPins.GenerationOf(ark.Fingerprint)))
            .Where(x => x.generation is not null || trust.IsAllowedExtraRoot(x.ark.Fingerprint))
            .OrderBy(x => x.generation is null)
            .ToList();
        if (allowed.Count == 0)
        {
            string seen = material.Arks.Count == 0
                ? "no ARK given (supply AMD's ARK in PlatformTrust.RootCertificates or use a full export)"
                : "ARK fingerprint(s) " + string.Join(", ", material.Arks.Select(a => a.Fingerprint).Distinct()) +
                  " are neither built-in AMD pins nor in PlatformTrust.ExtraRootFingerprints";
            throw new ChainVerificationException(Root, seen + material.SkippedNote);
        }

        var selfSigned = allowed.Where(x => x.ark.IsSelfCertified && x.ark.IsSignedBy(x.ark)).ToList();
        if (selfSigned.Count == 0)
            throw new ChainVerificationException(ArkSelf, "the ARK's self-signature does not verify (or its certifying id is not its key id)");
        links.Add(ArkSelf);

        var askPairs = selfSigned
            .SelectMany(r => material.Asks.Where(ask => ask.IsSignedBy(r.ark)).Select(ask => (r.ark, r.generation, ask)))
            .ToList();
        if (askPairs.Count == 0)
            throw new ChainVerificationException(ArkToAsk, (material.Asks.Count == 0
                ? "no ASK given (supply AMD's ASK in PlatformTrust.Intermediates or use a full export)"
                : $"none of {material.Asks.Count} ASK certificate(s) is certified by a trusted ARK") + material.SkippedNote);
        links.Add(ArkToAsk);

        var signedCeks = new List<SevCertificate>();
        if (chain.Cek.FindSignature(SevUsage.Ask) is not null)
            signedCeks.Add(chain.Cek);
        signedCeks.AddRange(material.Ceks.Where(c => c.HasSamePublicKey(chain.Cek) && c.FindSignature(SevUsage.Ask) is not null));
        if (signedCeks.Count == 0)
            throw new ChainVerificationException(AskToCek,
                "the chain's CEK is unsigned (firmware export) and PlatformTrust.Intermediates holds no ASK-signed CEK with the same public key" +
                material.SkippedNote);

        var anchor = askPairs
            .SelectMany(p => signedCeks.Select(cek => (p.ark, p.generation, p.ask, cek)))
            .FirstOrDefault(x => SevSignatureVerifier.IsSignedBy(x.cek, x.ask));
        if (anchor.cek is null)
            throw new ChainVerificationException(AskToCek,
                $"the CEK's ASK signature does not verify under any trusted ASK (tried {askPairs.Count} ASK(s) x {signedCeks.Count} signed CEK(s); wrong CPU generation or tampered CEK)" +
                material.SkippedNote);
        links.Add(AskToCek);

        // The PEK is checked against the chain's CEK key, which equals the signed CEK's key.
        Require(SevSignatureVerifier.IsSignedBy(chain.Pek, chain.Cek), CekToPek, "the PEK's CEK signature does not verify", links);
        Require(SevSignatureVerifier.IsSignedBy(chain.Oca, chain.Oca), OcaSelf, "the OCA's self-signature does not verify", links);
        Require(SevSignatureVerifier.IsSignedBy(chain.Pek, chain.Oca), OcaToPek, "the PEK's OCA signature does not verify", links);
        Require(SevSignatureVerifier.IsSignedBy(pdh, chain.Pek), PekToPdh, "the PDH's PEK signature does not verify", links);

        if (!chain.Cek.IsEcc)
            throw new InvalidCertificateException("CEK", $"algorithm 0x{(uint)chain.Cek.Algorithm:x} is not an ECC key; the chip id needs X ‖ Y");
        string chipId = Convert.ToHexStringLower(SHA256.HashData(chain.Cek.EcPublicKeyBigEndian()));
        return new ChainVerificationResult(
            PlatformKind.Sev,
            chipId,
            anchor.ark.Fingerprint,
            RootPinned: anchor.generation is not null,
            RootName: anchor.generation ?? ExtraRootName,
            links);
    }

    private static void Require(bool ok, string link, string reason, List<string> links)
    {
        if (!ok)
            throw new ChainVerificationException(link, reason);
        links.Add(link);
    }

    /// <summary>The ARKs, ASKs and signed CEKs available from the chain and from operator files.
    /// Files that belong to another platform (Hygon HRK/HSK/hsk_cek, CSV certificates) are ignored; an AMD-looking
    /// file that does not parse (corrupted, truncated header) is skipped and noted, so one bad operator file
    /// cannot stop the search through the others, and a failure can still say what was tried.</summary>
    private sealed class TrustMaterial
    {
        public List<AmdCaCertificate> Arks { get; } = [];
        public List<AmdCaCertificate> Asks { get; } = [];
        public List<SevCertificate> Ceks { get; } = [];
        public List<string> Skipped { get; } = [];

        public string SkippedNote => Skipped.Count == 0 ? "" : "; skipped: " + string.Join("; ", Skipped);

        public static TrustMaterial Collect(SevCertificateChain chain, PlatformTrust trust)
        {
            var m = new TrustMaterial();
            if (chain.Ark is not null)
                m.Arks.Add(chain.Ark);
            if (chain.Ask is not null)
                m.Asks.Add(chain.Ask);
            for (int i = 0; i < trust.RootCertificates.Count; i++)
                m.AddFile(trust.RootCertificates[i], $"root certificate #{i + 1}");
            for (int i = 0; i < trust.Intermediates.Count; i++)
                m.AddFile(trust.Intermediates[i], $"intermediate #{i + 1}");
            return m;
        }

        private void AddFile(byte[] file, string source)
        {
            if (file is null)
                return;
            if (file.Length == SevCertificateLayout.Size)
            {
                if (!SevCertificate.IsSevCertificate(file))
                    return;
                SevCertificate cert;
                try
                {
                    cert = SevCertificate.Parse(file, $"{source} (SEV platform certificate)");
                }
                catch (InvalidCertificateException e)
                {
                    Skipped.Add(e.Message);
                    return;
                }
                if (cert.Usage == SevUsage.Cek)
                    Ceks.Add(cert);
                return;
            }
            if (AmdCaCertificate.IsCaCertificateSize(file.Length))
            {
                AddCa(file, source);
                return;
            }
            // AMD's key server serves ASK ‖ ARK in one file.
            foreach (int size in (int[])[AmdCaCertificateLayout.Size2048, AmdCaCertificateLayout.Size4096])
            {
                if (file.Length == 2 * size)
                {
                    AddCa(file.AsSpan(0, size), source + " (first half)");
                    AddCa(file.AsSpan(size, size), source + " (second half)");
                }
            }
        }

        private void AddCa(ReadOnlySpan<byte> bytes, string source)
        {
            AmdCaCertificate ca;
            try
            {
                ca = AmdCaCertificate.Parse(bytes, $"{source} (AMD CA certificate)");
            }
            catch (InvalidCertificateException e)
            {
                // Often a Hygon HRK/HSK (same size, not AMD's header); noted in case it was meant as an ARK/ASK.
                Skipped.Add(e.Message);
                return;
            }
            (ca.Usage == SevUsage.Ark ? Arks : Asks).Add(ca);
        }
    }
}
