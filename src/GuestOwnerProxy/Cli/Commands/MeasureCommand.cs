using System.Text.Json.Nodes;
using System.CommandLine;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop measure</c>: the 32-byte measure the firmware should report, per applicable formula.</summary>
public sealed class MeasureCommand : CliCommand
{
    public override string Name => "measure";
    public override string Summary => "expected LAUNCH_MEASURE value for a TIK, firmware facts, digest and mnonce";
    public override string Details =>
        """
        Prints the expected 32-byte measure as hex. With one formula (always on sev, or one --variant) the
        output is the hex alone; with several (csv default: csv-no-build, csv-build8, csv-build32) one line
        per formula: "<formula> <hex>". A formula that cannot encode the values (API/build above 255 in a
        one-byte field) is reported as not applicable. --blob prints base64(measure ‖ mnonce) instead, the
        48-byte value QMP query-sev-launch-measure returns. The expected digest is --digest or the image options.
        """;

    private readonly MeasurementOptions _measurement = new();
    private readonly Option<string> _mnonce = CliOptions.Value("--mnonce", "HEX", "the firmware's 16-byte nonce (the last 16 bytes of the measurement blob)", required: true);
    private readonly Option<bool> _blob = CliOptions.Flag("--blob", "print base64(measure ‖ mnonce) per formula instead of the measure's hex");

    public override IEnumerable<Symbol> Symbols => [.. _measurement.Symbols, _mnonce, _blob];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        var platform = CliParse.Platform(Name, args.GetValue(_measurement.Platform)!);
        var tik = CliParse.Key(Name, "--tik", args.GetValue(_measurement.Tik)!);
        var parameters = _measurement.Parameters(Name, args);
        var mnonce = CliParse.Hex(Name, "--mnonce", args.GetValue(_mnonce)!, LaunchMeasurement.MnonceSize);
        var formulas = _measurement.Formulas(Name, args, platform);
        var digest = _measurement.Digests(Name, args, context.Platforms.For(platform).Crypto, allowMany: false)[0];
        var crypto = context.Platforms.For(platform).Crypto;
        bool blob = args.GetValue(_blob);

        var results = new List<(MeasurementFormula Formula, byte[]? Measure, string? Error)>();
        foreach (var formula in formulas)
        {
            try
            {
                results.Add((formula, LaunchMeasurement.ComputeMeasure(crypto, formula, tik, parameters, digest.Digest, mnonce), null));
            }
            catch (CryptoFormatException ex)
            {
                results.Add((formula, null, ex.Message));
            }
        }
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(tik);

        if (results.All(r => r.Measure is null))
            throw new CliUsageException($"gop {Name}: no formula applies: {string.Join("; ", results.Select(r => $"{MeasurementFormulas.Name(r.Formula)}: {r.Error}"))}");

        string Render(byte[] measure) => blob ? Convert.ToBase64String([.. measure, .. mnonce]) : Hex(measure);

        if (args.GetValue(_measurement.Json))
        {
            CliJson.Write(context.Out, new JsonObject
            {
                ["platform"] = PlatformNames.Of(platform),
                ["digest"] = Hex(digest.Digest),
                ["mnonce"] = Hex(mnonce),
                ["measures"] = CliJson.Array(results, r => new JsonObject
                {
                    ["formula"] = MeasurementFormulas.Name(r.Formula),
                    ["measure"] = r.Measure is { } m ? Hex(m) : null,
                    ["blob"] = r.Measure is { } b ? Convert.ToBase64String([.. b, .. mnonce]) : null,
                    ["error"] = r.Error,
                }),
            });
            return Task.FromResult(ExitCodes.Success);
        }

        if (results.Count == 1)
        {
            context.Out.WriteLine(Render(results[0].Measure!));
            return Task.FromResult(ExitCodes.Success);
        }
        foreach (var (formula, measure, error) in results)
            context.Out.WriteLine(measure is not null
                ? $"{MeasurementFormulas.Name(formula)} {Render(measure)}"
                : $"{MeasurementFormulas.Name(formula)} not-applicable ({error})");
        return Task.FromResult(ExitCodes.Success);
    }
}
