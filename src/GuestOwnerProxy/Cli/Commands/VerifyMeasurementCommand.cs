using System.Text.Json.Nodes;
using System.CommandLine;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop verify-measurement</c>: does a platform's measurement match the expected digest, and under which formula.</summary>
public sealed class VerifyMeasurementCommand : CliCommand
{
    public override string Name => "verify-measurement";
    public override string Summary => "check a LAUNCH_MEASURE blob against expected digest(s); exit 1 when it does not match";
    public override string Details =>
        """
        Verifies the 48-byte measurement (measure ‖ mnonce, base64 as QMP query-sev-launch-measure prints it)
        against every candidate digest (--digest, repeatable, or the image options) under every formula, in
        constant time. Prints "match: formula <name>, digest <hex>" and exits 0, or "no match" and exits 1.
        """;

    private readonly MeasurementOptions _measurement = new();
    private readonly Option<string> _blob = CliOptions.Value("--measurement", "B64", "base64 of the 48-byte LAUNCH_MEASURE blob", required: true);

    public override IEnumerable<Symbol> Symbols => [_blob, .. _measurement.Symbols];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        var platform = CliParse.Platform(Name, args.GetValue(_measurement.Platform)!);
        var tik = CliParse.Key(Name, "--tik", args.GetValue(_measurement.Tik)!);
        var blob = CliParse.Base64(Name, "--measurement", args.GetValue(_blob)!);
        if (blob.Length != LaunchMeasurement.Size)
            throw CliParse.Bad(Name, "--measurement", $"{blob.Length} bytes, a measurement blob is {LaunchMeasurement.Size} (measure 32 ‖ mnonce 16)");
        var parameters = _measurement.Parameters(Name, args);
        var formulas = _measurement.Formulas(Name, args, platform);
        var candidates = _measurement.Digests(Name, args, context.Platforms.For(platform).Crypto, allowMany: true);

        var match = MeasurementVerifier.Verify(context.Platforms.For(platform).Crypto, tik, blob, parameters, candidates, formulas);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(tik);

        if (args.GetValue(_measurement.Json))
        {
            CliJson.Write(context.Out, new JsonObject
            {
                ["match"] = match is not null,
                ["formula"] = match is null ? null : MeasurementFormulas.Name(match.Formula),
                ["digest"] = match is null ? null : Hex(match.Digest),
                ["candidate"] = match?.CandidateName,
                ["triedFormulas"] = CliJson.Strings(formulas.Select(MeasurementFormulas.Name)),
                ["triedDigests"] = candidates.Count,
            });
        }
        else if (match is not null)
        {
            context.Out.WriteLine($"match: formula {MeasurementFormulas.Name(match.Formula)}, digest {Hex(match.Digest)}");
        }
        else
        {
            context.Out.WriteLine(
                $"no match: the measurement matches none of {candidates.Count} digest(s) under formula(s) {string.Join(", ", formulas.Select(MeasurementFormulas.Name))}");
        }
        return Task.FromResult(match is not null ? ExitCodes.Success : ExitCodes.VerificationFailed);
    }
}
