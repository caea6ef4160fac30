using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop verify-measurement</c>: does a platform's measurement match the expected digest, and under which formula.</summary>
public sealed class VerifyMeasurementCommand : CliCommand
{
    public override string Name => "verify-measurement";
    public override string Summary => "check a LAUNCH_MEASURE blob against expected digest(s); exit 1 when it does not match";
    public override string Help =>
        $"""
        usage: gop verify-measurement --platform csv|sev --tik HEX|@FILE --measurement BASE64
                                      (--digest HEX ... | {ImageOptions.Usage})
                                      --api-major N --api-minor N --build N --policy N [--variant NAME]... [--json]

        Verifies the 48-byte measurement (measure ‖ mnonce, base64 as QMP query-sev-launch-measure prints it)
        against every candidate digest under every formula, in constant time. Prints "match: formula <name>,
        digest <hex>" and exits 0, or "no match" and exits 1.

          --measurement B64   base64 of the 48-byte LAUNCH_MEASURE blob
        {MeasurementOptions.Help}
        {ImageOptions.Help}
        """;

    public override IReadOnlyList<OptionSpec> Options { get; } =
    [
        .. MeasurementOptions.Specs,
        new(OptionKind.Single, "--measurement"),
    ];

    public override Task<int> RunAsync(CommandArguments args, CliContext context)
    {
        args.RequirePositionals();
        var platform = CliParse.Platform(Name, args.Require("--platform"));
        var tik = CliParse.Key(Name, "--tik", args.Require("--tik"));
        var blob = CliParse.Base64(Name, "--measurement", args.Require("--measurement"));
        if (blob.Length != LaunchMeasurement.Size)
            throw CliParse.Bad(Name, "--measurement", $"{blob.Length} bytes, a measurement blob is {LaunchMeasurement.Size} (measure 32 ‖ mnonce 16)");
        var parameters = MeasurementOptions.Parameters(args);
        var formulas = MeasurementOptions.Formulas(args, platform);
        var candidates = MeasurementOptions.Digests(args, platform, allowMany: true);

        var match = MeasurementVerifier.Verify(LaunchCrypto.For(platform), tik, blob, parameters, candidates, formulas);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(tik);

        if (args.Flag("--json"))
        {
            CliJson.Write(context.Out, new
            {
                match = match is not null,
                formula = match is null ? null : MeasurementFormulas.Name(match.Formula),
                digest = match is null ? null : Hex(match.Digest),
                candidate = match?.CandidateName,
                triedFormulas = formulas.Select(MeasurementFormulas.Name),
                triedDigests = candidates.Count,
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
