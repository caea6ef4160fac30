using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Cli.Client;

/// <summary>
/// Where <c>gop client</c> finds what kata does not pass. The Hygon CSV kata fork runs
/// <c>GetBundle SERVER PATH</c> and <c>GetSecret -c -i -m SERVER PATH</c> and nothing else, so the platform's
/// files are probed and the firmware's API version and build id come, in this order, from argv, the
/// environment (<see cref="ApiMajorVariable"/> ...), the client config file (<see cref="DefaultConfigFile"/>,
/// <c>key=value</c> lines) and finally gop-client.py's constants.
/// </summary>
public sealed class ClientDefaults
{
    public const string RootVariable = "GOP_CLIENT_ROOT";
    public const string ConfigVariable = "GOP_CLIENT_CONFIG";
    public const string ApiMajorVariable = "GOP_API_MAJOR";
    public const string ApiMinorVariable = "GOP_API_MINOR";
    public const string BuildIdVariable = "GOP_BUILD_ID";
    public const string DefaultConfigFile = "/etc/gop/client.conf";

    public const string KeyApiMajor = "api_major";
    public const string KeyApiMinor = "api_minor";
    public const string KeyBuildId = "build_id";
    public const string KeyPlatform = "platform";
    private static readonly string[] KnownKeys = [KeyApiMajor, KeyApiMinor, KeyBuildId, KeyPlatform];

    private readonly string _command;
    private readonly Func<string, string?> _environment;
    private readonly Dictionary<string, (string Value, string Where)> _config = new(StringComparer.Ordinal);

    private ClientDefaults(string command, Func<string, string?> environment)
    {
        _command = command;
        _environment = environment;
    }

    /// <summary>Reads the client config file (when present). A malformed file is an error (exit 2), never ignored.</summary>
    public static ClientDefaults Load(string command, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var defaults = new ClientDefaults(command, environment);
        string? explicitPath = environment(ConfigVariable);
        // GOP_CLIENT_CONFIG="" switches the file off; a path given explicitly must exist.
        string path = explicitPath ?? DefaultConfigFile;
        if (path.Length > 0 && (explicitPath is not null || File.Exists(path)))
            defaults.ReadConfig(path);
        return defaults;
    }

    /// <summary>Prefix of the probed /opt/sev and /opt/csv directories (tests; a chroot). Empty: the real /opt.</summary>
    public string Root => _environment(RootVariable) ?? "";

    public PlatformKind? ConfiguredPlatform =>
        _config.TryGetValue(KeyPlatform, out var p) ? CliParse.Platform(_command, p.Value) : null;

    /// <summary>argv (<paramref name="fromArgs"/>), then <paramref name="variable"/>, then the config file's <paramref name="key"/>, then <paramref name="constant"/>.</summary>
    public int Resolve(string? fromArgs, string option, string variable, string key, int constant)
    {
        if (fromArgs is not null)
            return CliParse.Int32(_command, option, fromArgs);
        if (_environment(variable) is { Length: > 0 } fromEnvironment)
            return CliParse.Int32(_command, $"environment {variable}", fromEnvironment);
        if (_config.TryGetValue(key, out var fromConfig))
            return CliParse.Int32(_command, fromConfig.Where, fromConfig.Value);
        return constant;
    }

    /// <summary>
    /// The platform directory for the default pdh.cert/cert_chain.cert: forced by --platform or the config
    /// file's platform=, else /opt/sev when it holds the files needed, else /opt/csv; neither is an error
    /// naming both.
    /// </summary>
    public string PlatformDirectory(string? platform, IReadOnlyList<(string File, string Option)> needed)
    {
        var forced = platform is not null ? CliParse.Platform(_command, platform) : ConfiguredPlatform;
        if (forced is { } kind)
            return Root + (kind == PlatformKind.Csv ? "/opt/csv" : "/opt/sev");
        string[] candidates = [Root + "/opt/sev", Root + "/opt/csv"];
        foreach (var directory in candidates)
        {
            if (needed.All(n => File.Exists($"{directory}/{n.File}")))
                return directory;
        }
        var tried = needed.SelectMany(n => candidates.Select(d => $"{d}/{n.File}")).ToList();
        var options = string.Join("/", needed.Select(n => n.Option));
        // Same first words as gop-client.py ("Failed to open <file>").
        throw new CliUsageException(
            $"Failed to open {string.Join(" or ", tried)} ({options}): no platform files found; give {options}, or --platform sev|csv");
    }

    private void ReadConfig(string path)
    {
        string[] lines;
        try
        {
            var bytes = RegularFile.ReadAll(path, FileFormat.ClientConfig.MaxBytes, FileFormat.ClientConfig.Name);
            lines = new StreamReader(new MemoryStream(bytes)).ReadToEnd().ReplaceLineEndings("\n").Split('\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CliUsageException(ex is FileRefusedException
                ? $"gop {_command}: client config ({ConfigVariable}): {ex.Message}"
                : $"gop {_command}: client config '{path}' ({ConfigVariable}): cannot read: {ex.Message}", ex);
        }
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            string where = $"{path}:{i + 1}";
            int eq = line.IndexOf('=');
            if (eq <= 0)
                throw new CliUsageException($"gop {_command}: {where}: expected key=value, found '{Shorten(line)}'");
            string key = line[..eq].Trim().ToLowerInvariant();
            string value = line[(eq + 1)..].Trim();
            if (!KnownKeys.Contains(key))
                throw new CliUsageException($"gop {_command}: {where}: unknown key '{Shorten(key)}' (known: {string.Join(", ", KnownKeys)})");
            if (value.Length == 0)
                throw new CliUsageException($"gop {_command}: {where}: {key} has no value");
            _config[key] = (value, $"{where}: {key}");
        }
        // Validate now, so a bad line fails every command, not only the one that reads it.
        foreach (var (key, (value, where)) in _config)
        {
            if (key == KeyPlatform)
            {
                if (!PlatformNames.TryParse(value, out _))
                    throw new CliUsageException($"gop {_command}: {where}: '{Shorten(value)}' is not a platform ({PlatformNames.Expected})");
            }
            else
                _ = CliParse.Int32(_command, where, value);
        }
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
