using GuestOwnerProxy.Cli.Commands;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Cli;

/// <summary>
/// The <c>gop</c> command dispatcher (everything but the server). Finds the command (one or two words),
/// parses its options and maps failures to the documented exit codes: usage and input errors → 2,
/// failed verifications → 1. Errors go to stderr as "error: ..." naming the argument or file.
/// </summary>
public static class CliApp
{
    public static IReadOnlyList<CliCommand> Commands { get; } =
    [
        new DigestCommand(),
        new MeasureCommand(),
        new VerifyMeasurementCommand(),
        new CertShowCommand(),
        new CertVerifyCommand(),
        new ChainVerifyCommand(),
        new SecretBuildCommand(),
        new CheckConfigCommand(),
        new ClientCommand(ClientOperation.GetBundle),
        new ClientCommand(ClientOperation.GetSecret),
        new SimulateCommand(),
    ];

    /// <summary>True for an invocation that belongs to the server: no arguments, a leading option
    /// (the Python server's -p/-c/-k/-l/-d/-u) or <c>serve</c>. A help flag anywhere in a server
    /// invocation (<c>gop -h</c>, <c>gop --help</c>, <c>gop serve -p 1 --help</c>) is a request for
    /// usage, as with the Python server's optparse, not a start: it goes to <see cref="Run"/>.</summary>
    public static bool IsServerInvocation(string[] args) =>
        (args.Length == 0 || args[0].StartsWith('-') || args[0] == "serve") && !IsServerHelp(args);

    private static bool IsServerHelp(string[] args) =>
        args.Length > 0 && (args[0].StartsWith('-') || args[0] == "serve") && args.Any(a => a is "-h" or "--help");

    /// <summary>The server's own arguments (without the <c>serve</c> word).</summary>
    public static string[] ServerArguments(string[] args) =>
        args.Length > 0 && args[0] == "serve" ? args[1..] : args;

    public static int Run(string[] args, TextWriter output, TextWriter error) =>
        RunAsync(args, new CliContext(output, error)).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(string[] args, CliContext context)
    {
        if (args.Length == 0 || args[0] is "help" || (args[0] is "--help" or "-h" && (args.Length == 1 || !args[1].StartsWith('-'))))
            return PrintHelp(args.Length > 1 ? args[1..] : [], context);
        if (IsServerHelp(args))
            return PrintHelp([], context);

        var (command, rest) = Find(args);
        if (command is null)
        {
            var group = Commands.Where(c => c.Name.StartsWith(args[0] + " ", StringComparison.Ordinal)).ToList();
            context.Err.WriteLine(group.Count > 0
                ? $"error: gop {args[0]}: {(args.Length > 1 ? $"unknown subcommand '{args[1]}'" : "missing subcommand")} (one of: {string.Join(", ", group.Select(c => c.Name[(args[0].Length + 1)..]))})"
                : $"error: unknown command '{args[0]}' (see 'gop help')");
            return ExitCodes.BadInput;
        }

        try
        {
            var parsed = CommandArguments.Parse(command.Name, rest, command.Options);
            if (parsed.HelpRequested)
            {
                context.Out.WriteLine(command.Help.TrimEnd());
                return ExitCodes.Success;
            }
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

    private static (CliCommand? Command, string[] Remaining) Find(string[] args)
    {
        if (args.Length >= 2)
        {
            var two = Commands.FirstOrDefault(c => c.Name == $"{args[0]} {args[1]}");
            if (two is not null)
                return (two, args[2..]);
        }
        var one = Commands.FirstOrDefault(c => c.Name == args[0]);
        return (one, one is null ? args : args[1..]);
    }

    private static int PrintHelp(string[] topic, CliContext context)
    {
        if (topic.Length > 0)
        {
            var (command, _) = Find(topic);
            if (command is null)
            {
                var group = Commands.Where(c => c.Name.StartsWith(topic[0] + " ", StringComparison.Ordinal)).ToList();
                if (group.Count == 0)
                {
                    context.Err.WriteLine($"error: unknown command '{string.Join(" ", topic)}' (see 'gop help')");
                    return ExitCodes.BadInput;
                }
                foreach (var c in group)
                    context.Out.WriteLine(c.Help.TrimEnd() + Environment.NewLine);
                return ExitCodes.Success;
            }
            context.Out.WriteLine(command.Help.TrimEnd());
            return ExitCodes.Success;
        }

        context.Out.WriteLine("usage: gop <command> [options]        (gop help <command> for details)");
        context.Out.WriteLine("       gop [serve] [-p PORT] [-c keysets.json] [-k keys.json] [-l LOGFILE] [-d] [-u]   runs the server");
        context.Out.WriteLine();
        context.Out.WriteLine("server options (the Python server's flags; also appsettings.json section GuestOwnerProxy):");
        context.Out.WriteLine("  -p, --port PORT       listen port on localhost, plaintext HTTP/2 (default 50051)");
        context.Out.WriteLine("  -c, --config FILE     keysets.json");
        context.Out.WriteLine("  -k, --keyfile FILE    keys.json");
        context.Out.WriteLine("  -l, --logfile FILE    also log to FILE (JSON lines)");
        context.Out.WriteLine("  -d, --debug           debug logging");
        context.Out.WriteLine("  -u, --unsafe          skip measurement checks (logged on every secret)");
        context.Out.WriteLine("  --GuestOwnerProxy:Setting=value   any other setting (Urls, Tls, Trust, Sessions, AuditLog, ...)");
        context.Out.WriteLine();
        context.Out.WriteLine("commands:");
        int width = Commands.Max(c => c.Name.Length) + 2;
        foreach (var c in Commands)
            context.Out.WriteLine($"  {c.Name.PadRight(width)}{c.Summary}");
        context.Out.WriteLine();
        context.Out.WriteLine("exit codes: 0 success; 1 verification failed (measurement mismatch, bad signature, broken chain,");
        context.Out.WriteLine("            gRPC error from the server); 2 bad input (arguments, unreadable or malformed files)");
        return ExitCodes.Success;
    }
}
