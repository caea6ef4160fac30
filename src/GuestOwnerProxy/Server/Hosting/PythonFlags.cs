namespace GuestOwnerProxy.Server.Hosting;

/// <summary>
/// The command-line flags of the original Python server (optparse: <c>-p 50051</c>, <c>-p50051</c>,
/// <c>--port=50051</c>, <c>--port 50051</c>, combined <c>-du</c>) rewritten as ASP.NET configuration
/// keys, so they sit beside appsettings and environment variables (command line wins). Anything else
/// (<c>--urls</c>, <c>--environment</c>, <c>--GuestOwnerProxy:Key=value</c>) passes through unchanged.
/// </summary>
public static class PythonFlags
{
    private const string Section = "GuestOwnerProxy:";

    private static readonly Dictionary<string, string> ValueFlags = new(StringComparer.Ordinal)
    {
        ["-p"] = "Port", ["--port"] = "Port",
        ["-c"] = "KeysetsFile", ["--config"] = "KeysetsFile",
        ["-k"] = "KeysFile", ["--keyfile"] = "KeysFile",
        ["-l"] = "LogFile", ["--logfile"] = "LogFile",
    };

    private static readonly Dictionary<string, string> SwitchFlags = new(StringComparer.Ordinal)
    {
        ["-d"] = "Debug", ["--debug"] = "Debug",
        ["-u"] = "Unsafe", ["--unsafe"] = "Unsafe",
    };

    /// <exception cref="ArgumentException">a flag without its value, or a port that is not a number.</exception>
    public static string[] Translate(IReadOnlyList<string> args)
    {
        var result = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (SwitchFlags.TryGetValue(arg, out var switchKey))
            {
                result.Add($"--{Section}{switchKey}=true");
                continue;
            }
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=') is var eq and > 2
                && ValueFlags.TryGetValue(arg[..eq], out var longKey))
            {
                result.Add(Setting(arg[..eq], longKey, arg[(eq + 1)..]));
                continue;
            }
            if (ValueFlags.TryGetValue(arg, out var key))
            {
                if (i + 1 >= args.Count)
                    throw new ArgumentException($"option {arg} requires a value");
                result.Add(Setting(arg, key, args[++i]));
                continue;
            }
            if (arg.Length > 2 && arg[0] == '-' && arg[1] != '-')
            {
                var shortFlag = arg[..2];
                if (ValueFlags.TryGetValue(shortFlag, out var attachedKey))
                {
                    result.Add(Setting(shortFlag, attachedKey, arg[2..]));
                    continue;
                }
                if (arg[1..].All(c => SwitchFlags.ContainsKey("-" + c)))
                {
                    foreach (var c in arg[1..])
                        result.Add($"--{Section}{SwitchFlags["-" + c]}=true");
                    continue;
                }
            }
            result.Add(arg);
        }
        return result.ToArray();
    }

    private static string Setting(string flag, string key, string value)
    {
        if (key == "Port" && (!int.TryParse(value, out var port) || port is < 0 or > 65535))
            throw new ArgumentException($"option {flag}: '{value}' is not a port number");
        if (value.Length == 0)
            throw new ArgumentException($"option {flag} requires a value");
        return $"--{Section}{key}={value}";
    }

    public const string Usage =
        "usage: gop [serve] [-p PORT] [-c KEYSETS.json] [-k KEYS.json] [-l LOGFILE] [-d] [-u] [--GuestOwnerProxy:Setting=value ...]";
}
