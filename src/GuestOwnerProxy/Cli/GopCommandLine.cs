using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using GuestOwnerProxy.Cli.Commands;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Server.Hosting;

namespace GuestOwnerProxy.Cli;

/// <summary>
/// The <c>gop</c> command line on System.CommandLine. One executable, two roles: the root command and
/// <c>serve</c> are the server (the Python server's flags, plus ASP.NET settings passed through to it);
/// every other command is an operator command. Parse errors exit 2 with "error: gop COMMAND: ..." naming
/// the argument (and a suggestion for a mistyped name); command failures map to <see cref="ExitCodes"/>.
/// </summary>
public sealed class GopCommandLine
{
    public static IReadOnlyList<CliCommand> CreateCommands() =>
    [
        new DigestCommand(),
        new MeasureCommand(),
        new VerifyMeasurementCommand(),
        new CertShowCommand(),
        new CertVerifyCommand(),
        new ChainVerifyCommand(),
        new SecretBuildCommand(),
        new VmsaBuildCommand(),
        new VmsaShowCommand(),
        new CheckConfigCommand(),
        new SealingKeyNewCommand(),
        new ClientCommand(ClientOperation.GetBundle),
        new ClientCommand(ClientOperation.GetSecret),
        new SimulateCommand(),
        new HealthCommand(),
        new CompletionCommand(),
    ];

    private readonly RootCommand _root = new("guest owner proxy for Hygon CSV and AMD SEV guests, and its operator tools");
    private readonly Command _serve = new("serve", "run the server (the same as gop with no command)");
    private readonly PythonFlags _rootFlags = new();
    private readonly PythonFlags _serveFlags = new();
    private readonly IReadOnlyList<CliCommand> _commands = CreateCommands();
    private readonly Argument<string[]> _helpTopic = new("COMMAND") { Description = "the command (one or two words)", Arity = ArgumentArity.ZeroOrMore };
    private readonly string[] _args;

    private GopCommandLine(string[] args)
    {
        _args = args;
        // The library's own help option also answers /h and /?, which are file names here.
        var help = new HelpOption("--help", "-h") { Action = new GopHelpAction(this) };
        _root.Options.Clear();
        _root.Options.Add(help);
        _root.Options.Add(new VersionOption("--version", "-V"));

        // Server invocations carry ASP.NET settings besides the flags; they are checked in UnknownToken.
        _root.TreatUnmatchedTokensAsErrors = false;
        _serve.TreatUnmatchedTokensAsErrors = false;
        foreach (var option in _rootFlags.Options)
            _root.Options.Add(option);
        foreach (var option in _serveFlags.Options)
            _serve.Options.Add(option);
        _root.SetAction(_ => ServerHost.Run(_args));
        _serve.SetAction(_ => ServerHost.Run(ServerArguments()));
        _root.Subcommands.Add(_serve);

        foreach (var command in _commands)
            Place(command);

        var helpCommand = new Command("help", "show the help of a command (gop help cert show)") { _helpTopic };
        helpCommand.SetAction(ShowHelp);
        _root.Subcommands.Add(helpCommand);
    }

    /// <summary>Runs <c>gop</c> with <paramref name="args"/>: the server or a command; the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var commandLine = new GopCommandLine(args);
        var parsed = commandLine._root.Parse(args, PythonFlags.ParserSettings);
        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // The server handles SIGTERM/Ctrl+C itself (graceful shutdown); the library must not kill it after 2 s.
            ProcessTerminationTimeout = null,
            // Crashes stay crashes: the default handler would print the exception and exit 1, a verification failure's code.
            EnableDefaultExceptionHandler = false,
        };
        // Help, version and the [suggest] directive run even when the rest of the line has errors.
        bool runsTheCommand = parsed.Action is ParseErrorAction || parsed.Action == parsed.CommandResult.Command.Action;
        if (runsTheCommand && commandLine.Problem(parsed) is { } problem)
        {
            error.WriteLine($"error: {problem}");
            return ExitCodes.BadInput;
        }
        return parsed.Invoke(invocation);
    }

    private void Place(CliCommand command)
    {
        var words = command.Name.Split(' ');
        Command parent = _root;
        foreach (var group in words[..^1])
        {
            var existing = parent.Subcommands.FirstOrDefault(c => c.Name == group);
            if (existing is null)
            {
                existing = new Command(group) { Description = $"the {group} commands" };
                parent.Subcommands.Add(existing);
            }
            parent = existing;
        }
        var leaf = new Command(words[^1], command.Summary + Environment.NewLine + Environment.NewLine + command.Details.TrimEnd());
        foreach (var symbol in command.Symbols)
        {
            switch (symbol)
            {
                case Option option: leaf.Options.Add(option); break;
                case Argument argument: leaf.Arguments.Add(argument); break;
            }
        }
        leaf.SetAction((parsed, _) => RunAsync(command, parsed));
        parent.Subcommands.Add(leaf);
    }

    private static async Task<int> RunAsync(CliCommand command, ParseResult parsed)
    {
        var context = new CliContext(parsed.InvocationConfiguration.Output, parsed.InvocationConfiguration.Error);
        try
        {
            return await command.RunAsync(parsed, context);
        }
        catch (CliUsageException ex)
        {
            context.Err.WriteLine($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }
        catch (CliVerificationException ex)
        {
            context.Err.WriteLine($"error: {ex.Message}");
            return ExitCodes.VerificationFailed;
        }
        catch (CryptoFormatException ex)
        {
            // Format errors the command did not attribute itself still name the structure and field.
            context.Err.WriteLine($"error: gop {command.Name}: {ex.Message}");
            return ExitCodes.BadInput;
        }
    }

    /// <summary>The server's own arguments: the command line without the <c>serve</c> word.</summary>
    private string[] ServerArguments()
    {
        int serve = Array.IndexOf(_args, _serve.Name);
        return [.. _args[..serve], .. _args[(serve + 1)..]];
    }

    private int ShowHelp(ParseResult parsed)
    {
        var topic = parsed.GetValue(_helpTopic) ?? [];
        var topicParse = _root.Parse(topic, PythonFlags.ParserSettings);
        if (UnknownToken(topicParse) is { } unknown)
        {
            parsed.InvocationConfiguration.Error.WriteLine($"error: {unknown}");
            return ExitCodes.BadInput;
        }
        return _root.Parse([.. topic, "--help"], PythonFlags.ParserSettings).Invoke(parsed.InvocationConfiguration);
    }

    private bool IsServer(Command command) => command == _root || command == _serve;

    /// <summary>"cert show" for that command, "" for the root.</summary>
    private static string Path(Command command) =>
        string.Join(" ", Lineage(command).Where(c => c is not RootCommand).Reverse().Select(c => c.Name));

    private static IEnumerable<Command> Lineage(Command? command)
    {
        for (; command is not null; command = command.Parents.OfType<Command>().FirstOrDefault())
            yield return command;
    }

    private static string Prefix(Command command) => Path(command) is { Length: > 0 } path ? $"gop {path}" : "gop";

    /// <summary>The first thing wrong with the command line, worded for an operator; null when it can run.</summary>
    private string? Problem(ParseResult parsed)
    {
        if (UnknownToken(parsed) is { } unknown)
            return unknown;
        var command = parsed.CommandResult.Command;
        string prefix = Prefix(command);
        if (command.Action is null && command.Subcommands.Count > 0)
            return $"{prefix}: missing subcommand (one of: {string.Join(", ", command.Subcommands.Select(c => c.Name))})";
        foreach (var error in parsed.Errors)
        {
            return error.SymbolResult switch
            {
                OptionResult { IdentifierToken: null } o => $"{prefix}: missing required option '{o.Option.Name}'",
                OptionResult { Tokens.Count: 0 } o when o.Option.Arity.MinimumNumberOfValues > 0 => $"{prefix}: option '{o.IdentifierToken.Value}' needs a value",
                OptionResult o when o.Tokens.Count > o.Option.Arity.MaximumNumberOfValues => $"{prefix}: option '{o.IdentifierToken?.Value}' given more than once",
                ArgumentResult { Tokens.Count: 0 } a when a.Parent is CommandResult => $"{prefix}: missing argument {a.Argument.Name}",
                _ => $"{prefix}: {error.Message}",
            };
        }
        return null;
    }

    /// <summary>A token no command or option took: a mistyped command, option or an extra argument.</summary>
    private string? UnknownToken(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var unmatched = IsServer(command) ? PythonFlags.NotSettings(parsed.UnmatchedTokens).ToList() : parsed.UnmatchedTokens;
        if (unmatched.Count == 0)
        {
            // A single-value argument swallows a mistyped option ('gop health --bogus' asked the server for a service
            // "--bogus"; 'gop sealing-key new --force' wrote a key file named "--force"): a token that looks like an
            // option and came before '--' is an unknown option there, not a value ('gop sealing-key new -- -x' is one).
            if (OptionLikeArgument(parsed) is not { } optionLike)
                return null;
            unmatched = [optionLike];
        }
        string token = unmatched[0];
        string prefix = Prefix(command);
        string see = Path(command) is { Length: > 0 } path ? $"see 'gop help {path}'" : "see 'gop help'";
        if (token.StartsWith('-') && token.Length > 1)
        {
            var names = Lineage(command).SelectMany(c => c.Options).Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name));
            return $"{prefix}: unknown option '{token}' ({see}){Suggestions.DidYouMean(token, names)}";
        }
        var subcommands = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        if (command == _root)
            return $"{prefix}: unknown command '{token}' ({see}){Suggestions.DidYouMean(token, subcommands)}";
        if (subcommands.Count > 0)
            return $"{prefix}: unknown subcommand '{token}' (one of: {string.Join(", ", subcommands)}){Suggestions.DidYouMean(token, subcommands)}";
        return $"{prefix}: unexpected argument '{token}' ({see})";
    }

    /// <summary>
    /// A single-value argument's token that starts with '-' (not a negative number) and precedes any '--'. Arguments
    /// of many values take '--Section:Key=value' settings (check-config's SETTING), which their command checks by name.
    /// </summary>
    private static string? OptionLikeArgument(ParseResult parsed)
    {
        var tokens = parsed.Tokens;
        int end = tokens.Count;
        for (int i = 0; i < tokens.Count; i++)
            if (tokens[i].Type == TokenType.DoubleDash) { end = i; break; }
        foreach (var argument in parsed.CommandResult.Children.OfType<ArgumentResult>().Where(a => a.Argument.Arity.MaximumNumberOfValues == 1))
            foreach (var token in argument.Tokens)
            {
                string value = token.Value;
                if (value.Length < 2 || value[0] != '-' || double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _))
                    continue;
                for (int i = 0; i < end; i++)
                    if (ReferenceEquals(tokens[i], token))
                        return value;
            }
        return null;
    }

    /// <summary>
    /// <c>gop --help</c> and <c>gop serve --help</c>: the overview (server flags and every command, as the
    /// Python server's optparse usage plus the command list); a group (<c>gop cert</c>): its subcommands by
    /// their one-line summaries; any other command: the library's help, whose description holds the details.
    /// </summary>
    private sealed class GopHelpAction(GopCommandLine commandLine) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var output = parseResult.InvocationConfiguration.Output;
            if (commandLine.IsServer(parseResult.CommandResult.Command))
            {
                commandLine.WriteOverview(output);
                return ExitCodes.Success;
            }
            if (parseResult.CommandResult.Command is { Action: null } group)
            {
                commandLine.WriteGroup(group, output);
                return ExitCodes.Success;
            }
            return new HelpAction().Invoke(parseResult);
        }
    }

    private void WriteGroup(Command group, TextWriter output)
    {
        string path = Path(group);
        output.WriteLine($"usage: gop {path} <subcommand> [options]        (gop help {path} <subcommand> for details)");
        output.WriteLine();
        output.WriteLine("subcommands:");
        WriteRows(output, _commands.Where(c => c.Name.StartsWith(path + " ", StringComparison.Ordinal)).Select(c => (c.Name, c.Summary)));
    }

    private void WriteOverview(TextWriter output)
    {
        output.WriteLine("usage: gop <command> [options]        (gop help <command> for details)");
        output.WriteLine($"{PythonFlags.Usage}   runs the server");
        output.WriteLine();
        output.WriteLine("server options (the Python server's flags; also appsettings.json section GuestOwnerProxy):");
        var server = _rootFlags.Options
            .Select(o => ($"{string.Join(", ", o.Aliases.Append(o.Name))}{(o.HelpName is { } h ? " " + h : "")}", o.Description ?? ""))
            .Append(("--GuestOwnerProxy:Setting=value", "any other setting (Urls, Tls, Trust, Sessions, AuditLog, ...)"))
            .Append(("--environment NAME", "the ASP.NET environment (appsettings.NAME.json; default Production)"));
        WriteRows(output, server);
        output.WriteLine();
        output.WriteLine("commands:");
        var commands = _commands.Select(c => (c.Name, c.Summary))
            .Append(("serve", _serve.Description ?? ""))
            .Append(("help [COMMAND]", "show the help of a command"));
        WriteRows(output, commands);
        output.WriteLine();
        WriteRows(output, [("-h, --help", "show help (also: gop COMMAND --help)"), ("-V, --version", "show the version")]);
        output.WriteLine();
        output.WriteLine("exit codes: 0 success; 1 verification failed (measurement mismatch, bad signature, broken chain,");
        output.WriteLine("            gRPC error from the server); 2 bad input (arguments, unreadable or malformed files)");
    }

    private static void WriteRows(TextWriter output, IEnumerable<(string Left, string Right)> rows)
    {
        var list = rows.ToList();
        int width = Math.Min(list.Max(r => r.Left.Length) + 2, 34);
        foreach (var (left, right) in list)
            output.WriteLine(left.Length + 2 > width ? $"  {left}{Environment.NewLine}  {new string(' ', width)}{right}" : $"  {left.PadRight(width)}{right}");
    }
}
