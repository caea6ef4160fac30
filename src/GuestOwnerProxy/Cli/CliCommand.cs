using GuestOwnerProxy.Crypto.Common;
using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GuestOwnerProxy.Cli;

/// <summary>Where a command writes. Tests and the client command use it to keep stdout exact.</summary>
public sealed record CliContext(TextWriter Out, TextWriter Err)
{
    /// <summary>The platforms every command works with (the built-in CSV and SEV profiles unless a host gives others).</summary>
    public IPlatformRegistry Platforms { get; init; } = PlatformRegistry.Default;
}

/// <summary>
/// One <c>gop</c> command (possibly two words: "cert show"). It declares its options and arguments as
/// System.CommandLine symbols; <see cref="GopCommandLine"/> builds the command tree from them, parses,
/// and calls <see cref="RunAsync"/> only for a command line without parse errors.
/// </summary>
public abstract class CliCommand
{
    /// <summary>"digest", "cert show", "client GetBundle".</summary>
    public abstract string Name { get; }

    /// <summary>One line for the overview and the parent command's list.</summary>
    public abstract string Summary { get; }

    /// <summary>What the command does, shown under the summary by <c>--help</c>; options are described on the options.</summary>
    public abstract string Details { get; }

    /// <summary>The options and positional arguments, in the order help lists them.</summary>
    public abstract IEnumerable<Symbol> Symbols { get; }

    public abstract Task<int> RunAsync(ParseResult args, CliContext context);

    protected static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>The value of an option that this command needs only in some cases (so not marked required for the parser).</summary>
    protected string Require(ParseResult args, Option<string> option) => CliOptions.Require(Name, args, option);
}

/// <summary>
/// The kinds of option every command uses, so the spelling rules live in one place: a value option takes
/// exactly one value and may be given once; a repeated option takes one value per occurrence; a flag none.
/// Values stay strings: the commands parse them with <see cref="CliParse"/>, whose errors name the option.
/// </summary>
public static class CliOptions
{
    public static Option<string> Value(string name, string helpName, string description, bool required = false, params string[] aliases) =>
        new(name, aliases) { HelpName = helpName, Description = description, Required = required };

    public static Option<string[]> Repeated(string name, string helpName, string description, bool required = false) =>
        new(name) { HelpName = helpName, Description = description, Required = required, AllowMultipleArgumentsPerToken = false };

    public static Option<bool> Flag(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description };

    /// <summary><c>--platform csv|sev</c>; completion offers the names <see cref="CliParse.PlatformName"/> prints.</summary>
    public static Option<string> Platform(string description, bool required = true, string name = "--platform")
    {
        var option = Value(name, "csv|sev", description, required);
        option.CompletionSources.Add(Enum.GetValues<PlatformKind>().Select(PlatformNames.Of).ToArray());
        return option;
    }

    /// <summary>A value the parser could not demand (it is needed only with some other options).</summary>
    public static string Require(string command, ParseResult args, Option<string> option) =>
        args.GetValue(option) ?? throw new CliUsageException($"gop {command}: missing required option '{option.Name}'");

    public static bool Given(ParseResult args, Option option) => args.GetResult(option) is { Implicit: false };
}

/// <summary>
/// The <c>--json</c> documents: each command builds a <see cref="JsonNode"/> tree (no reflection over anonymous
/// types, so the native build prints the same document as the JIT one), written indented, non-ASCII unescaped.
/// </summary>
public static class CliJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(TextWriter output, JsonNode? value) =>
        output.WriteLine(value is null ? "null" : value.ToJsonString(Options));

    /// <summary>A JSON array of <paramref name="items"/>, each converted by <paramref name="item"/>.</summary>
    public static JsonArray Array<T>(IEnumerable<T> items, Func<T, JsonNode?> item) => new([.. items.Select(item)]);

    public static JsonArray Strings(IEnumerable<string> items) => Array(items, s => (JsonNode)s);

    public static JsonArray Numbers(IEnumerable<int> items) => Array(items, n => (JsonNode)n);

    public static JsonArray Numbers(IEnumerable<long> items) => Array(items, n => (JsonNode)n);

    public static JsonArray Numbers(IEnumerable<uint> items) => Array(items, n => (JsonNode)n);

    /// <summary>A JSON object of <paramref name="items"/>, keyed and converted by the two functions, in the given order.</summary>
    public static JsonObject Object<T>(IEnumerable<T> items, Func<T, string> key, Func<T, JsonNode?> value)
    {
        var o = new JsonObject();
        foreach (var item in items)
            o.Add(key(item), value(item));
        return o;
    }

    /// <summary>A scalar fact (<c>gop cert show</c>'s values): string, number, bool or null.</summary>
    public static JsonNode? Scalar(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b,
        int i => i,
        uint u => u,
        long l => l,
        ulong ul => ul,
        ushort us => us,
        byte by => by,
        _ => throw new ArgumentException($"no JSON form for a {value.GetType().Name}", nameof(value)),
    };
}
