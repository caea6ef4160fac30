using System.CommandLine;
using System.Buffers.Text;
using System.Text;
using Grpc.Core;
using GuestOwnerProxy.Cli.Client;
using GuestOwnerProxy.Crypto.Common;

namespace GuestOwnerProxy.Cli.Commands;

public enum ClientOperation
{
    GetBundle,
    GetSecret,
}

/// <summary>
/// <c>gop client GetBundle|GetSecret</c>: a drop-in replacement for the Python <c>gop-client.py</c> that
/// kata-runtime runs: same argv, same files, the same single stdout line, and
/// "GRPC Error: &lt;details&gt;" on stderr with exit 1 when the server refuses.
/// </summary>
public sealed class ClientCommand : CliCommand
{
    // Constants of gop-client.py (the version kata's CCv0 guides ship); operators edit them there to match
    // `sevtool/hag --platform_status`, here they pass --api-major/--api-minor/--build instead.
    public const int DefaultApiMajor = 0;
    public const int DefaultApiMinor = 22;
    public const int DefaultBuildId = 13;
    public const int DefaultPolicy = 0;
    public const int DefaultConnectionId = 9;
    public const string DefaultKeysetId = "KEYSET-1";
    /// <summary>gop-client.py's placeholder measurement; it is meant never to verify.</summary>
    public const string DefaultMeasurement = "gAxZlm0aF2r8vNTEE01fber98yWJC6K5NTRDUb3ik4LCZvtsXlnxm+zySQiGjTPA";
    /// <summary>The third field kata parses from GetSecret's line (hw_gpa in the script; QEMU finds the area itself).</summary>
    public const string SecretGpa = "8000";

    private readonly ClientOperation _operation;

    public ClientCommand(ClientOperation operation) => _operation = operation;

    public override string Name => $"client {_operation}";

    public override string Summary => _operation == ClientOperation.GetBundle
        ? "gop-client.py GetBundle: fetch GODH and session blob, write godh.txt/launch_blob.txt"
        : "gop-client.py GetSecret: send the measurement, write secret_header.txt/secret_data.txt";

    private const string Shared = """
        Both GetBundle and GetSecret accept all of the options below and ignore those that do not apply, so one
        wrapper line serves both. Files, API version and build id when not given (kata passes only SERVER PATH,
        and -c/-i/-m to GetSecret):
          -k/-t      /opt/sev/pdh.cert and /opt/sev/cert_chain.cert if they exist, else /opt/csv/...
                     (--platform, or platform= in the client config, forces one; GOP_CLIENT_ROOT prefixes /opt)
          --api-major/--api-minor/--build
                     argv, else the environment (GOP_API_MAJOR, GOP_API_MINOR, GOP_BUILD_ID), else the client
                     config file (/etc/gop/client.conf, or GOP_CLIENT_CONFIG; key=value lines: api_major,
                     api_minor, build_id, platform; # comments), else gop-client.py's constants
        """;

    public override string Details => (_operation == ClientOperation.GetBundle
        ? """
          Drop-in for `gop-client.py GetBundle SERVER PATH`. Reads the platform's pdh.cert and cert_chain.cert,
          calls /Setup/GetLaunchBundle over h2c (SERVER is host:port, e.g. localhost:50051), writes
          PATH/godh.txt and PATH/launch_blob.txt as base64 text (fields the server already sent as base64
          text, the CSV bundle encoding, are written unchanged; raw fields are base64-encoded) and prints
          exactly "PATH/godh.txt,PATH/launch_blob.txt,<ConnectionId>". On a gRPC error: "GRPC Error: <details>"
          on stderr, exit 1. Unreadable files: exit 2.
          """
        : $"""
          Drop-in for `gop-client.py GetSecret ... SERVER PATH`. Sends the measurement (base64 of the 48 bytes
          from QMP query-sev-launch-measure) to /Setup/GetLaunchSecret, writes PATH/secret_header.txt and
          PATH/secret_data.txt (base64) and prints exactly "<header b64>,<data b64>,{SecretGpa}".
          On a gRPC error: "GRPC Error: <details>" on stderr (e.g. MEASUREMENT INVALID), exit 1.
          """) + Environment.NewLine + Environment.NewLine + Shared;

    // Both operations accept every option of both (and ignore those that do not apply), so one kata wrapper
    // line can pass the same flags to GetBundle and GetSecret.
    private readonly Argument<string> _server = new("SERVER") { Description = "the server, host:port (h2c) or a URL" };
    private readonly Argument<string> _path = new("PATH") { Description = "the VM's directory for the output files" };
    private readonly Option<string> _chain = CliOptions.Value("-t", "CERT_CHAIN", "GetBundle: cert_chain.cert (default: that of the probed platform directory)");
    private readonly Option<string> _pdh = CliOptions.Value("-k", "PDH", "GetBundle: pdh.cert (default: that of the probed platform directory)");
    private readonly Option<string> _policy = CliOptions.Value("-p", "POLICY", $"guest policy (default {DefaultPolicy})");
    private readonly Option<string> _platform = CliOptions.Platform("GetBundle: use /opt/sev or /opt/csv for the default files instead of probing", required: false);
    private readonly Option<string> _protocol = ClientProtocols.Option(
        "wire protocol: setup (default, the original /Setup service) or keybroker (simple-kbs keybroker.KeyBrokerService: "
        + "the chain goes as one base64 PDH ‖ chain file, the third output field of GetBundle is the UUID launch id, which "
        + "GetSecret takes as -c; GetSecret asks for the keyset bundle as kata does: Format JSON, SecretType bundle, Id = keyset)");
    private readonly Option<string> _connection = CliOptions.Value("-c", "CONNECTION_ID", $"GetSecret: from GetBundle's output (default {DefaultConnectionId}, as the script)");
    private readonly Option<string> _keyset = CliOptions.Value("-i", "KEYSET_ID", $"GetSecret: keyset in keysets.json (default {DefaultKeysetId})");
    private readonly Option<string> _measurement = CliOptions.Value("-m", "MEASUREMENT_B64", "GetSecret: launch measurement (default: the script's placeholder, which never verifies)");
    private readonly Option<string> _apiMajor = CliOptions.Value("--api-major", "N", $"GetSecret: firmware API major sent to the server (last resort {DefaultApiMajor}, gop-client.py hw_api_major)");
    private readonly Option<string> _apiMinor = CliOptions.Value("--api-minor", "N", $"GetSecret: firmware API minor (last resort {DefaultApiMinor}, hw_api_minor)");
    private readonly Option<string> _build = CliOptions.Value("--build", "N", $"GetSecret: firmware build id (last resort {DefaultBuildId}, hw_build_id)");
    private readonly Option<string> _fwDigest = CliOptions.Value("--fw-digest", "B64",
        "GetSecret, keybroker only: the launch digest as the host computed it (FwDigest; the server accepts it only when it is one of the keyset's digests)");

    public override IEnumerable<Symbol> Symbols =>
        [_server, _path, _chain, _pdh, _policy, _platform, _protocol, _connection, _keyset, _measurement, _apiMajor, _apiMinor, _build, _fwDigest];

    public override async Task<int> RunAsync(ParseResult args, CliContext context)
    {
        string server = args.GetValue(_server)!;
        string path = args.GetValue(_path)!;
        string protocol = args.GetValue(_protocol) ?? ClientProtocols.Setup;
        var defaults = ClientDefaults.Load(Name);
        try
        {
            return _operation == ClientOperation.GetBundle
                ? await GetBundleAsync(args, defaults, protocol, server, path, context)
                : await GetSecretAsync(args, defaults, protocol, server, path, context);
        }
        catch (RpcException ex)
        {
            context.Err.WriteLine($"GRPC Error: {ex.Status.Detail}");
            return ExitCodes.VerificationFailed;
        }
    }

    private async Task<int> GetBundleAsync(ParseResult args, ClientDefaults defaults, string protocol, string server, string path, CliContext context)
    {
        var needed = new List<(string File, string Option)>();
        if (args.GetValue(_pdh) is null) needed.Add(("pdh.cert", _pdh.Name));
        if (args.GetValue(_chain) is null) needed.Add(("cert_chain.cert", _chain.Name));
        string? root = needed.Count > 0 ? defaults.PlatformDirectory(args.GetValue(_platform), needed) : null;
        string pdhPath = args.GetValue(_pdh) ?? $"{root}/pdh.cert";
        string chainPath = args.GetValue(_chain) ?? $"{root}/cert_chain.cert";
        int policy = Policy(args);
        byte[] pdh = ReadInput(pdhPath, "-k");
        byte[] chain = ReadInput(chainPath, "-t");

        BundleAnswer answer;
        using (var client = ClientProtocols.Create(Name, protocol, server))
            answer = await client.GetBundleAsync(new BundleQuery(pdh, chain, policy), CancellationToken.None);

        // Python concatenates strings: PATH + "/godh.txt", whatever PATH ends with.
        string godhPath = path + "/godh.txt";
        string blobPath = path + "/launch_blob.txt";
        CreateDirectory(path);
        WriteText(godhPath, AsBase64Text(answer.GuestOwnerPublicKey));
        WriteText(blobPath, AsBase64Text(answer.LaunchBlob));
        context.Out.Write($"{godhPath},{blobPath},{answer.ConnectionId}\n");
        return ExitCodes.Success;
    }

    private async Task<int> GetSecretAsync(ParseResult args, ClientDefaults defaults, string protocol, string server, string path, CliContext context)
    {
        string measurementText = args.GetValue(_measurement) ?? DefaultMeasurement;
        byte[] measurement = CliParse.Base64(Name, "-m", measurementText);
        var query = new SecretQuery(
            measurement,
            args.GetValue(_connection) ?? DefaultConnectionId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            defaults.Resolve(args.GetValue(_apiMajor), _apiMajor.Name, ClientDefaults.ApiMajorVariable, ClientDefaults.KeyApiMajor, DefaultApiMajor),
            defaults.Resolve(args.GetValue(_apiMinor), _apiMinor.Name, ClientDefaults.ApiMinorVariable, ClientDefaults.KeyApiMinor, DefaultApiMinor),
            defaults.Resolve(args.GetValue(_build), _build.Name, ClientDefaults.BuildIdVariable, ClientDefaults.KeyBuildId, DefaultBuildId),
            Policy(args),
            args.GetValue(_keyset) ?? DefaultKeysetId,
            args.GetValue(_fwDigest) is { } fw ? CliParse.Base64(Name, "--fw-digest", fw) : null);
        if (protocol == ClientProtocols.Setup && !int.TryParse(query.ConnectionId, out _))
            throw CliParse.Bad(Name, "-c", $"'{query.ConnectionId}' is not an integer connection id");
        if (protocol == ClientProtocols.Setup && query.FwDigest is not null)
            throw CliParse.Bad(Name, "--fw-digest", "only the keybroker protocol carries a firmware digest");
        if (protocol == ClientProtocols.KeyBroker && !Guid.TryParse(query.ConnectionId, out _))
            throw CliParse.Bad(Name, "-c", $"'{query.ConnectionId}' is not a UUID launch id (the keybroker protocol's GetBundle prints one)");

        SecretAnswer answer;
        using (var client = ClientProtocols.Create(Name, protocol, server))
            answer = await client.GetSecretAsync(query, CancellationToken.None);

        string header = Convert.ToBase64String(answer.Header);
        string data = Convert.ToBase64String(answer.Data);
        CreateDirectory(path);
        WriteText(path + "/secret_header.txt", header);
        WriteText(path + "/secret_data.txt", data);
        context.Out.Write($"{header},{data},{SecretGpa}\n");
        return ExitCodes.Success;
    }

    private int Policy(ParseResult args) =>
        args.GetValue(_policy) is { } text ? CliParse.Int32(Name, _policy.Name, text) : DefaultPolicy;

    /// <summary>
    /// The text QEMU reads: a field that already is base64 text (the CSV bundle encoding) is kept byte for
    /// byte, as the CSV client writes it; raw binary (the SEV encoding) is base64-encoded, as the SEV client
    /// does. Raw certificates and blobs are never valid base64 text: their first bytes are not in the alphabet.
    /// </summary>
    public static string AsBase64Text(byte[] field) =>
        IsBase64Text(field) ? Encoding.ASCII.GetString(field) : Convert.ToBase64String(field);

    public static bool IsBase64Text(ReadOnlySpan<byte> field) => !field.IsEmpty && Base64.IsValid(field, out int decoded) && decoded > 0;

    private byte[] ReadInput(string file, string option)
    {
        try
        {
            return RegularFile.ReadAll(file, FileFormat.Certificates.MaxBytes, FileFormat.Certificates.Name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Same first words as gop-client.py ("Error: Failed to open <file>"), plus the reason (for a device or
            // FIFO the shared file check's: "'/dev/zero' is a character device, not a regular file").
            throw new CliUsageException($"Failed to open {file} ({option}): {ex.Message}", ex);
        }
    }

    private void CreateDirectory(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CliUsageException($"gop {Name}: PATH: cannot create directory '{path}': {ex.Message}", ex);
        }
    }

    private void WriteText(string file, string text)
    {
        try
        {
            File.WriteAllBytes(file, Encoding.ASCII.GetBytes(text));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"gop {Name}: PATH: cannot write '{file}': {ex.Message}", ex);
        }
    }
}
