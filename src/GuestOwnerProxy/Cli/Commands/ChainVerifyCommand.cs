using System.Text.Json.Nodes;
using System.CommandLine;
using GuestOwnerProxy.Crypto.Certificates;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop chain verify</c>: the whole platform chain, as the server checks it before issuing a session.</summary>
public sealed class ChainVerifyCommand : CliCommand
{
    public override string Name => "chain verify";
    public override string Summary => "verify PDH ← PEK ← OCA/CEK ← HSK/ASK ← pinned root; exit 1 naming the broken link";
    public override string Details =>
        """
        Verifies the platform's certificate chain with the same code the server uses
        (CsvPlatformProfile / SevPlatformProfile.VerifyChain). CSV: HRK (pinned) → HSK → CEK → PEK,
        OCA → PEK, PEK → PDH, with the HSK and signed CEK from an hsk_cek file. SEV: ARK (pinned per CPU
        generation) → ASK → CEK → PEK, OCA → PEK, PEK → PDH; a full export (sevctl export --full) carries
        its own ASK and ARK. Roots count only when their SHA-256 is a built-in pin or given with --allow-root.
        Prints the verified links, the root and the chip id; on failure "chain broken at <link>: <reason>", exit 1.
        """;

    private readonly Option<string> _chain = CliOptions.Value("--chain", "F",
        "cert_chain.cert (PEK ‖ OCA ‖ CEK), PDH ‖ PEK ‖ OCA ‖ CEK, or a full export (SEV PDH ‖ ... ‖ ASK ‖ ARK; CSV PDH ‖ ... ‖ HSK ‖ HRK)", required: true);
    private readonly Option<string> _pdh = CliOptions.Value("--pdh", "F", "pdh.cert (optional when --chain is a full export)");
    private readonly Option<string[]> _hskCek = CliOptions.Repeated("--hsk-cek", "F", "CSV: hsk_cek file from Hygon's key server (HSK ‖ signed CEK); repeatable");
    private readonly Option<string[]> _askArk = CliOptions.Repeated("--ask-ark", "F", "SEV: ASK, ASK ‖ ARK or ASK-signed CEK from AMD's key server; repeatable");
    private readonly Option<string[]> _intermediate = CliOptions.Repeated("--intermediate", "F", "any intermediate file (same as the two above); repeatable");
    private readonly Option<string[]> _root = CliOptions.Repeated("--root", "F", "root certificate (Hygon HRK, AMD ARK); repeatable");
    private readonly Option<string[]> _allowRoot = CliOptions.Repeated("--allow-root", "FINGERPRINT", "also trust the root with this SHA-256 fingerprint (lab or simulator roots)");
    private readonly Option<string> _platform = CliOptions.Platform("override the platform detected from the PDH", required: false);
    private readonly Option<bool> _json = CliOptions.Flag("--json", "machine-readable output");

    public override IEnumerable<Symbol> Symbols => [_chain, _pdh, _hskCek, _askArk, _intermediate, _root, _allowRoot, _platform, _json];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        string chainPath = args.GetValue(_chain)!;
        string? pdhPath = args.GetValue(_pdh);

        // Parse every file first, so a malformed one is reported by name (exit 2) before verification.
        var chainEntries = CertificateFile.Read(Name, "--chain", chainPath);
        var chain = Concat(chainEntries);
        byte[] pdh = [];
        if (pdhPath is not null)
        {
            var pdhEntry = CertificateFile.ReadSingle(Name, "--pdh", pdhPath);
            pdh = pdhEntry.Bytes;
        }

        var platform = args.GetValue(_platform) is { } p
            ? CliParse.Platform(Name, p)
            : (pdhPath is not null ? CertificateFile.ReadSingle(Name, "--pdh", pdhPath) : chainEntries[0]).Platform;

        var intermediates = new List<byte[]>();
        foreach (var option in new[] { _hskCek, _askArk, _intermediate })
        {
            foreach (var path in args.GetValue(option) ?? [])
                intermediates.Add(Concat(CertificateFile.Read(Name, option.Name, path)));
        }
        var roots = (args.GetValue(_root) ?? []).Select(path => CertificateFile.ReadSingle(Name, "--root", path).Bytes).ToList();
        var allowed = new List<string>();
        foreach (var text in args.GetValue(_allowRoot) ?? [])
            allowed.Add(TrustLoader.NormalizeFingerprint(text)
                ?? throw CliParse.Bad(Name, "--allow-root", $"'{text}' is not a SHA-256 fingerprint (64 hex digits)"));

        // A CSV full chain (PDH ‖ PEK ‖ OCA ‖ CEK ‖ HSK ‖ HRK, the simulator's full_chain.cert) carries its own
        // hsk_cek and root; the root still counts only when pinned or allowed.
        if (platform == PlatformKind.Csv && chainEntries.Count == 6
            && chainEntries[4].Format == CertificateFormat.CsvCa && chainEntries[5].Format == CertificateFormat.CsvCa)
        {
            chain = Concat(chainEntries.Take(4).ToList());
            intermediates.Add([.. chainEntries[4].Bytes, .. chainEntries[3].Bytes]);
            roots.Add(chainEntries[5].Bytes);
        }

        var trust = new PlatformTrust { RootCertificates = roots, ExtraRootFingerprints = allowed, Intermediates = intermediates };
        IPlatformProfile profile = platform == PlatformKind.Csv ? CsvPlatformProfile.Instance : SevPlatformProfile.Instance;

        ChainVerificationResult result;
        try
        {
            result = profile.VerifyChain(new PlatformEvidence(pdh, chain), trust);
        }
        catch (ChainVerificationException ex)
        {
            if (args.GetValue(_json))
                CliJson.Write(context.Out, new JsonObject { ["valid"] = false, ["platform"] = PlatformNames.Of(platform), ["link"] = ex.Link, ["reason"] = ex.Reason });
            else
                context.Out.WriteLine($"chain broken at {ex.Link}: {ex.Reason}");
            return Task.FromResult(ExitCodes.VerificationFailed);
        }
        catch (InvalidCertificateException ex)
        {
            string files = pdhPath is null ? $"--chain '{chainPath}'" : $"--pdh '{pdhPath}', --chain '{chainPath}'";
            throw new CliUsageException($"gop {Name}: {ex.Message} ({files}, platform {PlatformNames.Of(platform)})", ex);
        }

        if (args.GetValue(_json))
        {
            CliJson.Write(context.Out, new JsonObject
            {
                ["valid"] = true,
                ["platform"] = PlatformNames.Of(result.Platform),
                ["chipId"] = result.ChipId,
                ["root"] = result.RootName,
                ["rootFingerprint"] = result.RootFingerprint,
                ["rootPinned"] = result.RootPinned,
                ["links"] = CliJson.Strings(result.VerifiedLinks),
            });
        }
        else
        {
            context.Out.WriteLine($"chain verified ({PlatformNames.Of(result.Platform)})");
            context.Out.WriteLine($"  links:   {string.Join(", ", result.VerifiedLinks)}");
            context.Out.WriteLine($"  root:    {result.RootName} ({(result.RootPinned ? "built-in pin" : "allowed with --allow-root")}) {result.RootFingerprint}");
            context.Out.WriteLine($"  chip id: {result.ChipId}");
        }
        return Task.FromResult(ExitCodes.Success);
    }

    private static byte[] Concat(IReadOnlyList<CertificateEntry> entries) => entries.SelectMany(e => e.Bytes).ToArray();
}
