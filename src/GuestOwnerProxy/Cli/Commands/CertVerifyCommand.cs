using System.Text.Json.Nodes;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using System.CommandLine;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop cert verify --signer S FILE</c>: is FILE signed by S's key.</summary>
public sealed class CertVerifyCommand : CliCommand
{
    public override string Name => "cert verify";
    public override string Summary => "check one certificate's signature by a signer certificate; exit 1 when invalid";
    public override string Details =>
        """
        Exits 0 when FILE carries a valid signature by SIGNER's key, 1 when it does not, 2 when the files
        cannot be read or parsed or cannot be compared (different platforms). Each file holds one certificate.
        CSV: SM2 with the signer's user id as the SM2 ID, slots matched by the signer's usage (HSK→CEK,
        CEK→PEK, OCA→PEK, PEK→PDH, HRK→HSK, HRK self). SEV: ECDSA or RSA-PSS per slot, ASK→CEK RSA-PSS,
        ARK→ASK. Give the same file twice for a self-signature.
        """;

    private readonly Argument<string> _file = new("FILE") { Description = "the certificate whose signature is checked" };
    private readonly Option<string> _signer = CliOptions.Value("--signer", "F", "the certificate whose key made the signature", required: true);
    private readonly Option<bool> _json = CliOptions.Flag("--json", "machine-readable output");

    public override IEnumerable<Symbol> Symbols => [_file, _signer, _json];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        string signerPath = args.GetValue(_signer)!;
        string subjectPath = args.GetValue(_file)!;
        var signer = CertificateFile.ReadSingle(Name, "--signer", signerPath);
        var subject = CertificateFile.ReadSingle(Name, "FILE", subjectPath);

        var (valid, reason) = Verify(subject, signer);
        string subjectName = CertificateFile.Describe(subject);
        string signerName = CertificateFile.Describe(signer);
        if (args.GetValue(_json))
        {
            CliJson.Write(context.Out, new JsonObject
            {
                ["valid"] = valid,
                ["subject"] = subjectPath,
                ["subjectCertificate"] = subjectName,
                ["signer"] = signerPath,
                ["signerCertificate"] = signerName,
                ["reason"] = reason,
            });
        }
        else
        {
            context.Out.WriteLine(valid
                ? $"valid: {subjectPath} ({subjectName}) is signed by {signerPath} ({signerName})"
                : $"invalid: {subjectPath} ({subjectName}) is not signed by {signerPath} ({signerName}): {reason}");
        }
        return Task.FromResult(valid ? ExitCodes.Success : ExitCodes.VerificationFailed);
    }

    private (bool Valid, string? Reason) Verify(CertificateEntry subject, CertificateEntry signer)
    {
        switch (subject.Certificate, signer.Certificate)
        {
            case (CsvCertificate s, CsvCertificate k):
                if (s.SignaturesBy(k.Usage).Count == 0)
                    return (false, $"no signature slot by usage 0x{(uint)k.Usage:x4} ({CertificateFile.Name(k.Usage)}); slots: {s.Signature1}; {s.Signature2}");
                return s.IsSignedBy(k) ? (true, null) : (false, $"the SM2 signature does not verify (SM2 ID '{k.UserId}')");
            case (CsvCertificate s, CsvCaCertificate k):
                if (s.SignaturesBy(k.Usage).Count == 0)
                    return (false, $"no signature slot by usage 0x{(uint)k.Usage:x4} ({CertificateFile.Name(k.Usage)}); slots: {s.Signature1}; {s.Signature2}");
                return s.IsSignedBy(k) ? (true, null) : (false, $"the SM2 signature does not verify (SM2 ID '{k.UserId}')");
            case (CsvCaCertificate s, CsvCaCertificate k):
                if (!s.CertifyingId.SequenceEqual(k.KeyId))
                    return (false, $"certifying id {Hex(s.CertifyingId)} is not the signer's key id {Hex(k.KeyId)}");
                return s.VerifySignature(k.PublicKey, k.UserIdBytes) ? (true, null) : (false, $"the SM2 signature does not verify (SM2 ID '{k.UserId}')");
            case (SevCertificate s, SevCertificate k):
                if (s.FindSignature(k.Usage) is null)
                    return (false, $"no signature slot by usage 0x{(uint)k.Usage:x4} ({SevIds.UsageName((uint)k.Usage)})");
                return SevSignatureVerifier.IsSignedBy(s, k) ? (true, null) : (false, "the signature does not verify under the signer's key");
            case (SevCertificate s, AmdCaCertificate k):
                if (s.FindSignature(SevUsage.Ask) is null)
                    return (false, "no signature slot by the ASK (usage 0x0013); a firmware-exported CEK is unsigned, AMD's key server has the signed one");
                return SevSignatureVerifier.IsSignedBy(s, k) ? (true, null) : (false, "the RSA-PSS signature does not verify under the signer's key");
            case (AmdCaCertificate s, AmdCaCertificate k):
                if (!s.CertifyingId.SequenceEqual(k.KeyId))
                    return (false, $"certifying id {Hex([.. s.CertifyingId])} is not the signer's key id {Hex([.. k.KeyId])}");
                return s.IsSignedBy(k) ? (true, null) : (false, "the RSA-PSS signature does not verify under the signer's key");
            default:
                throw new CliUsageException(
                    $"gop {Name}: a {CertificateFile.Describe(signer)} ({PlatformNames.Of(signer.Platform)}) cannot sign a {CertificateFile.Describe(subject)} ({PlatformNames.Of(subject.Platform)}): nothing to verify");
        }
    }
}
