using System.Text.Json.Nodes;
using GuestOwnerProxy.Crypto.Certificates;
using System.CommandLine;
namespace GuestOwnerProxy.Cli.Commands;

/// <summary><c>gop cert show FILE</c>: what a CSV or SEV certificate (or a chain file) contains.</summary>
public sealed class CertShowCommand : CliCommand
{
    public override string Name => "cert show";
    public override string Summary => "describe a CSV/SEV certificate or every certificate of a chain file";
    public override string Details =>
        """
        Describes each certificate in FILE: platform (from the algorithm and curve ids, never the size),
        format, usage, version, API, algorithm, public key, user id / key ids, signature slots and SHA-256.
        Accepts single certificates (2084-byte platform, 832-byte CSV HRK/HSK, 832/1600-byte AMD ARK/ASK)
        and concatenations: hsk_cek (2916), cert_chain (6252), PDH ‖ chain (8336), full exports (10000, 11536).
        """;

    private readonly Argument<string> _file = new("FILE") { Description = "certificate or chain file" };
    private readonly Option<bool> _json = CliOptions.Flag("--json", "one JSON array with an object per certificate");

    public override IEnumerable<Symbol> Symbols => [_file, _json];

    public override Task<int> RunAsync(ParseResult args, CliContext context)
    {
        string path = args.GetValue(_file)!;
        var entries = CertificateFile.Read(Name, "FILE", path);
        var described = entries.Select(CertificateDescription.Describe).ToList();

        if (args.GetValue(_json))
        {
            CliJson.Write(context.Out, CliJson.Array(described, d => CliJson.Object(d, kv => kv.Key, kv => CliJson.Scalar(kv.Value))));
            return Task.FromResult(ExitCodes.Success);
        }

        context.Out.WriteLine($"{path}: {entries.Count} certificate{(entries.Count == 1 ? "" : "s")}");
        foreach (var fields in described)
        {
            context.Out.WriteLine();
            context.Out.WriteLine($"certificate {fields[0].Value} (offset {fields[1].Value}, {fields[2].Value} bytes)");
            foreach (var (key, value) in fields.Skip(3))
            {
                if (value is null)
                    continue;
                context.Out.WriteLine($"  {key + ":",-14} {Render(value)}");
            }
        }
        return Task.FromResult(ExitCodes.Success);
    }

    private static string Render(object value) => value switch
    {
        bool b => b ? "yes" : "no",
        _ => value.ToString() ?? "",
    };
}
