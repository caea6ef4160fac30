using GuestOwnerProxy.Server.Configuration;
using System.CommandLine;
using System.CommandLine.Parsing;

namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// The command-line flags of the original Python server (optparse: <c>-p 50051</c>, <c>-p50051</c>,
/// <c>--port=50051</c>, <c>--port 50051</c>, combined <c>-du</c>) as System.CommandLine options, and their
/// translation into ASP.NET configuration keys, so they sit beside appsettings and environment variables
/// (command line wins). Anything else (<c>--urls</c>, <c>--environment</c>, <c>--GuestOwnerProxy:Key=value</c>)
/// passes through unchanged. One instance is one set of option symbols: the <c>gop</c> root and
/// <c>serve</c> commands each take their own, and <see cref="Translate"/> parses with a fresh one.
/// </summary>
public sealed class PythonFlags
{
    private const string Section = "GuestOwnerProxy:";

    /// <summary>
    /// The host's own settings that WebApplication reads from the command line besides configuration paths.
    /// Together with <c>--Section:Key</c> they are what a server invocation may carry besides the flags;
    /// anything else (<c>--bogus</c>, <c>-x</c>) is a typo the gop command line reports instead of starting a server.
    /// </summary>
    private static readonly string[] HostSettings = ["environment", "urls", "contentRoot", "applicationName"];

    // Value flags take one value per occurrence but may repeat: optparse let the last one win, and so does
    // configuration when every occurrence becomes a setting in order.
    public Option<string[]> Port { get; } = ValueFlag("--port", "-p", "PORT", "listen port on localhost, plaintext HTTP/2 (default 50051)");
    public Option<string[]> Config { get; } = ValueFlag("--config", "-c", "FILE", "keysets.json");
    public Option<string[]> KeyFile { get; } = ValueFlag("--keyfile", "-k", "FILE", "keys.json");
    public Option<string[]> LogFile { get; } = ValueFlag("--logfile", "-l", "FILE", "also log to FILE (JSON lines; reopened on SIGHUP)");
    // Not the Python server's: the formats of the console and of the -l file (GuestOwnerProxy:LogFormat, :LogFileFormat).
    public Option<string[]> LogFormat { get; } = FormatFlag("--log-format", "console log format: text (default) or json (one JSON object per line)");
    public Option<string[]> LogFileFormat { get; } = FormatFlag("--log-file-format", "-l file format: json (default) or text");
    public Option<bool> Debug { get; } = new("--debug", "-d") { Description = "debug logging" };
    public Option<bool> Unsafe { get; } = new("--unsafe", "-u") { Description = "skip measurement checks (logged on every secret)" };

    private readonly Dictionary<Option, string> _keys;

    public PythonFlags()
    {
        _keys = new()
        {
            [Port] = "Port", [Config] = "KeysetsFile", [KeyFile] = "KeysFile", [LogFile] = "LogFile",
            [LogFormat] = nameof(GuestOwnerProxyOptions.LogFormat), [LogFileFormat] = nameof(GuestOwnerProxyOptions.LogFileFormat),
            [Debug] = "Debug", [Unsafe] = "Unsafe",
        };
        Port.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!int.TryParse(token.Value, out var port) || port is < 0 or > 65535)
                    result.AddError($"option {result.IdentifierToken?.Value ?? Port.Name}: '{token.Value}' is not a port number");
            }
        });
    }

    public IReadOnlyList<Option> Options => [Port, Config, KeyFile, LogFile, LogFormat, LogFileFormat, Debug, Unsafe];

    /// <exception cref="ArgumentException">a flag without its value, or a port that is not a number.</exception>
    public static string[] Translate(IReadOnlyList<string> args)
    {
        var flags = new PythonFlags();
        var command = new Command("gop") { TreatUnmatchedTokensAsErrors = false };
        foreach (var option in flags.Options)
            command.Add(option);
        var parsed = command.Parse(args, ParserSettings);
        if (parsed.Errors.Count > 0)
            throw new ArgumentException(Describe(parsed.Errors[0]));

        // The tokens in command-line order, so a flag and a --GuestOwnerProxy:Key setting for the same key
        // keep their order (the later wins, as on the command line).
        var result = new List<string>();
        var tokens = parsed.Tokens;
        for (int i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var option = token.Type == TokenType.Option ? flags.Options.FirstOrDefault(o => Names(o).Contains(token.Value)) : null;
            if (option is null)
                result.Add(token.Value);
            else if (option.ValueType == typeof(bool))
                result.Add($"--{Section}{flags._keys[option]}=true");
            else
                result.Add(Setting(token.Value, flags._keys[option], tokens[++i].Value));
        }
        return result.ToArray();
    }

    /// <summary>
    /// The arguments of a server invocation that are neither these flags (already parsed out) nor settings
    /// ASP.NET reads (<c>--Section:Key=value</c>, <c>--Section:Key value</c>, <c>--environment NAME</c>, ...).
    /// </summary>
    public static IEnumerable<string> NotSettings(IReadOnlyList<string> unmatched)
    {
        for (int i = 0; i < unmatched.Count; i++)
        {
            string token = unmatched[i];
            string key = token.StartsWith("--", StringComparison.Ordinal) ? token[2..].Split('=', 2)[0] : "";
            if (key.Length > 0 && (key.Contains(':') || HostSettings.Contains(key, StringComparer.OrdinalIgnoreCase)))
            {
                if (!token.Contains('='))
                    i++; // its value
                continue;
            }
            yield return token;
        }
    }

    /// <summary>The parser settings of every gop command line: no response files, since <c>@FILE</c> is
    /// how key options name a file (<c>--tik @tik.bin</c>); POSIX bundling for optparse's <c>-du</c>.</summary>
    public static ParserConfiguration ParserSettings { get; } = new() { ResponseFileTokenReplacer = null, EnablePosixBundling = true };

    private static IEnumerable<string> Names(Option option) => option.Aliases.Prepend(option.Name);

    private static string Describe(ParseError error) =>
        error.SymbolResult is OptionResult { Tokens.Count: 0 } option
            ? $"option {option.IdentifierToken?.Value ?? option.Option.Name} requires a value"
            : error.Message;

    private static Option<string[]> ValueFlag(string name, string alias, string helpName, string description) =>
        new(name, alias)
        {
            Description = description,
            HelpName = helpName,
            AllowMultipleArgumentsPerToken = false,
        };

    private static Option<string[]> FormatFlag(string name, string description)
    {
        var option = new Option<string[]>(name)
        {
            Description = description,
            HelpName = "text|json",
            AllowMultipleArgumentsPerToken = false,
        };
        // The names are the LogFormat values (the binder ignores case); a typo is refused here, naming the flag.
        var names = Enum.GetNames<LogFormat>().Select(n => n.ToLowerInvariant()).ToArray();
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (!names.Contains(token.Value, StringComparer.OrdinalIgnoreCase))
                    result.AddError($"option {name}: '{token.Value}' is not a log format (one of: {string.Join(", ", names)})");
            }
        });
        return option;
    }

    private static string Setting(string flag, string key, string value)
    {
        if (value.Length == 0)
            throw new ArgumentException($"option {flag} requires a value");
        return $"--{Section}{key}={value}";
    }

    public const string Usage =
        "usage: gop [serve] [-p PORT] [-c KEYSETS.json] [-k KEYS.json] [-l LOGFILE] [-d] [-u] [--log-format text|json] [--GuestOwnerProxy:Setting=value ...]";
}
