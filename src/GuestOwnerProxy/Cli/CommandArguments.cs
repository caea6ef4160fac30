namespace GuestOwnerProxy.Cli;

/// <summary>How an option takes values.</summary>
public enum OptionKind
{
    /// <summary>No value (<c>--json</c>).</summary>
    Flag,
    /// <summary>Exactly one value, at most once (<c>--ovmf F</c>).</summary>
    Single,
    /// <summary>One value per occurrence, may repeat (<c>--secret GUID:FILE</c>).</summary>
    Multiple,
}

/// <summary>One option a command accepts; <see cref="Names"/> holds the long and short spellings.</summary>
public sealed record OptionSpec(OptionKind Kind, params string[] Names)
{
    public string Primary => Names[0];
}

/// <summary>
/// A small, strict command line parser: <c>--name value</c>, <c>--name=value</c>, flags, repeated
/// options and positionals in any order; <c>--</c> ends options. Every error names the argument at
/// fault and the command, so an operator never has to guess which of twenty flags was wrong.
/// </summary>
public sealed class CommandArguments
{
    private readonly string _command;
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CommandArguments(string command, List<string> positionals)
    {
        _command = command;
        Positionals = positionals;
    }

    public IReadOnlyList<string> Positionals { get; }

    public bool HelpRequested { get; private set; }

    public static CommandArguments Parse(string command, IReadOnlyList<string> args, IReadOnlyList<OptionSpec> specs)
    {
        var byName = new Dictionary<string, OptionSpec>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            foreach (var name in spec.Names)
                byName[name] = spec;
        }

        var result = new CommandArguments(command, []);
        var positionals = (List<string>)result.Positionals;
        bool optionsEnded = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (optionsEnded || arg.Length < 2 || arg[0] != '-' || IsNegativeNumber(arg))
            {
                positionals.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                optionsEnded = true;
                continue;
            }
            if (arg is "-h" or "--help" && !byName.ContainsKey(arg))
            {
                result.HelpRequested = true;
                continue;
            }

            string name = arg;
            string? inlineValue = null;
            int eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 2)
            {
                name = arg[..eq];
                inlineValue = arg[(eq + 1)..];
            }
            else if (arg[1] != '-' && arg.Length > 2 && byName.TryGetValue(arg[..2], out var shortOption) && shortOption.Kind != OptionKind.Flag)
            {
                // argparse style "-c9": a short option with its value attached.
                name = arg[..2];
                inlineValue = arg[2..];
            }
            if (!byName.TryGetValue(name, out var option))
                throw new CliUsageException($"gop {command}: unknown option '{name}' (see 'gop help {command}')");

            if (option.Kind == OptionKind.Flag)
            {
                if (inlineValue is not null)
                    throw new CliUsageException($"gop {command}: option '{name}' takes no value");
                result._flags.Add(option.Primary);
                continue;
            }

            string value;
            if (inlineValue is not null)
                value = inlineValue;
            else if (i + 1 < args.Count)
                value = args[++i];
            else
                throw new CliUsageException($"gop {command}: option '{name}' needs a value");

            if (!result._values.TryGetValue(option.Primary, out var list))
                result._values[option.Primary] = list = [];
            if (option.Kind == OptionKind.Single && list.Count > 0)
                throw new CliUsageException($"gop {command}: option '{name}' given more than once");
            list.Add(value);
        }
        return result;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public bool Has(string name) => _values.ContainsKey(name) || _flags.Contains(name);

    public string? Value(string name) => _values.TryGetValue(name, out var list) ? list[0] : null;

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public string Require(string name) =>
        Value(name) ?? throw new CliUsageException($"gop {_command}: missing required option '{name}'");

    /// <summary>Exactly <paramref name="names"/>.Length positionals, named in the error when some are missing or extra.</summary>
    public void RequirePositionals(params string[] names)
    {
        if (Positionals.Count < names.Length)
            throw new CliUsageException(
                $"gop {_command}: missing argument {string.Join(" ", names.Skip(Positionals.Count).Select(n => n.ToUpperInvariant()))}");
        if (Positionals.Count > names.Length)
            throw new CliUsageException($"gop {_command}: unexpected argument '{Positionals[names.Length]}'");
    }

    public int Int(string name, int defaultValue) =>
        Value(name) is { } text ? CliParse.Int32(_command, name, text) : defaultValue;

    public int RequireInt(string name) => CliParse.Int32(_command, name, Require(name));

    public long RequireLong(string name) => CliParse.Int64(_command, name, Require(name));

    public uint RequireUInt(string name) => CliParse.UInt32(_command, name, Require(name));

    public string Command => _command;

    // "-1" is a value, never an option: negative numbers only appear as values (argparse does the same).
    private static bool IsNegativeNumber(string arg) => arg.Length > 1 && arg[0] == '-' && arg.Skip(1).All(char.IsAsciiDigit);
}
