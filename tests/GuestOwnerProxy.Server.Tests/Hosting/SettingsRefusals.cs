namespace GuestOwnerProxy.Tests.Settings;

/// <summary>
/// One setting the server refuses to start with. <see cref="Arguments"/> are command-line settings, given the
/// directory that <see cref="SettingsRefusals.Prepare"/> filled; <see cref="Expected"/> is the part of the one-line
/// message that names the setting and the rule. Compiled into the server tests (the server refuses) and the CLI
/// tests (gop check-config refuses with the same message), so both check the same inputs by meaning.
/// </summary>
public sealed record SettingsRefusal(string Name, Func<string, string[]> Arguments, Func<string, string> Expected);

public static class SettingsRefusals
{
    /// <summary>Files the cases point at: a plain file, a directory, a file that is not a certificate.</summary>
    public static void Prepare(string directory)
    {
        File.WriteAllText(Path.Combine(directory, "plain-file"), "x");
        Directory.CreateDirectory(Path.Combine(directory, "a-directory"));
        File.WriteAllText(Path.Combine(directory, "not-a-cert.pem"), "-----BEGIN NOTHING-----\n");
        // Sealing keys: a good one (0600), one too short, one readable by others.
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        File.WriteAllBytes(Path.Combine(directory, "sealing.key"), new byte[32]);
        File.WriteAllBytes(Path.Combine(directory, "short.key"), new byte[31]);
        File.WriteAllBytes(Path.Combine(directory, "open.key"), new byte[32]);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(directory, "sealing.key"), mode);
            File.SetUnixFileMode(Path.Combine(directory, "short.key"), mode);
            File.SetUnixFileMode(Path.Combine(directory, "open.key"), mode | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    private const string S = "--GuestOwnerProxy:";

    public static readonly IReadOnlyList<SettingsRefusal> All =
    [
        new("ttl-zero", _ => [$"{S}Sessions:Ttl=00:00:00"], _ => "invalid settings: GuestOwnerProxy:Sessions:Ttl must be positive"),
        new("redis-without-configuration", d => [$"{S}Sessions:Store=redis", $"{S}Sessions:Redis:SealingKeyFiles:0={d}/sealing.key"],
            _ => "invalid settings: GuestOwnerProxy:Sessions:Redis:Configuration is required when Sessions:Store is redis"),
        new("redis-without-sealing-key", _ => [$"{S}Sessions:Store=redis", $"{S}Sessions:Redis:Configuration=127.0.0.1:1"],
            _ => "invalid settings: GuestOwnerProxy:Sessions:Redis:SealingKeyFiles: at least one sealing key file is required (create one with: gop sealing-key new FILE)"),
        new("redis-sealing-key-wrong-size", d => [$"{S}Sessions:Store=redis", $"{S}Sessions:Redis:Configuration=127.0.0.1:1", $"{S}Sessions:Redis:SealingKeyFiles:0={d}/short.key"],
            d => $"invalid settings: GuestOwnerProxy:Sessions:Redis:SealingKeyFiles:0: '{d}/short.key' is not a sealing key: it must hold exactly 32 bytes"),
        new("redis-sealing-key-readable-by-others", d => [$"{S}Sessions:Store=redis", $"{S}Sessions:Redis:Configuration=127.0.0.1:1", $"{S}Sessions:Redis:SealingKeyFiles:0={d}/open.key"],
            d => $"invalid settings: GuestOwnerProxy:Sessions:Redis:SealingKeyFiles:0: '{d}/open.key' is accessible by group/others (mode 644)"),
        new("redis-timeout-zero", d => [$"{S}Sessions:Store=redis", $"{S}Sessions:Redis:Configuration=127.0.0.1:1", $"{S}Sessions:Redis:SealingKeyFiles:0={d}/sealing.key", $"{S}Sessions:Redis:Timeout=00:00:00"],
            _ => "invalid settings: GuestOwnerProxy:Sessions:Redis:Timeout must be positive and at most 00:01:00"),
        new("redis-prefix-hash-tag", d => [$"{S}Sessions:Store=redis", $"{S}Sessions:Redis:Configuration=127.0.0.1:1", $"{S}Sessions:Redis:SealingKeyFiles:0={d}/sealing.key", $"{S}Sessions:Redis:KeyPrefix={{a}}:"],
            _ => "invalid settings: GuestOwnerProxy:Sessions:Redis:KeyPrefix must not contain '{' or '}'"),
        new("store-unknown", _ => [$"{S}Sessions:Store=etcd"],
            _ => "invalid settings: Failed to convert configuration value 'etcd' at 'GuestOwnerProxy:Sessions:Store'"),
        new("ttl-negative", _ => [$"{S}Sessions:Ttl=-00:01:00"], _ => "invalid settings: GuestOwnerProxy:Sessions:Ttl must be positive"),
        new("max-sessions-zero", _ => [$"{S}Sessions:MaxSessions=0"], _ => "invalid settings: GuestOwnerProxy:Sessions:MaxSessions must be at least 1"),
        new("max-attempts-zero", _ => [$"{S}Sessions:MaxMeasurementAttempts=0"],
            _ => "invalid settings: GuestOwnerProxy:Sessions:MaxMeasurementAttempts must be at least 1"),
        new("https-without-certificate", _ => [$"{S}Urls:0=https://127.0.0.1:0"],
            _ => "invalid settings: GuestOwnerProxy:Tls:CertificateFile and GuestOwnerProxy:Tls:KeyFile (PEM) are required for the https endpoint 'https://127.0.0.1:0'"),
        new("https-certificate-missing", d => [$"{S}Urls:0=https://127.0.0.1:0", $"{S}Tls:CertificateFile={d}/none.pem", $"{S}Tls:KeyFile={d}/none.key"],
            d => $"invalid settings: GuestOwnerProxy:Tls:CertificateFile: file '{d}/none.pem' does not exist"),
        new("https-certificate-not-pem", d => [$"{S}Urls:0=https://127.0.0.1:0", $"{S}Tls:CertificateFile={d}/not-a-cert.pem", $"{S}Tls:KeyFile={d}/not-a-cert.pem"],
            d => $"invalid settings: GuestOwnerProxy:Tls:CertificateFile: cannot load '{d}/not-a-cert.pem' with key '{d}/not-a-cert.pem': "),
        new("url-scheme", _ => [$"{S}Urls:0=ftp://127.0.0.1:21"],
            _ => "invalid settings: GuestOwnerProxy:Urls:0: 'ftp://127.0.0.1:21': scheme must be http (h2c) or https"),
        new("url-host", _ => [$"{S}Urls:0=http://proxy.example:50051"],
            _ => "invalid settings: GuestOwnerProxy:Urls:0: 'http://proxy.example:50051': host must be localhost, * or an IP address, not 'proxy.example'"),
        new("listen-address", _ => [$"{S}ListenAddress=proxy.example"],
            _ => "invalid settings: GuestOwnerProxy:ListenAddress: 'proxy.example' (endpoint http://proxy.example:0): host must be localhost, * or an IP address, not 'proxy.example'"),
        new("port-out-of-range", _ => [$"{S}Port=70000"], _ => "invalid settings: GuestOwnerProxy:Port must be 0..65535"),
        new("metrics-port-out-of-range", _ => [$"{S}Metrics:Port=-1"],
            _ => "invalid settings: GuestOwnerProxy:Metrics:Port must be 0..65535 (0 disables the metrics endpoint)"),
        new("metrics-listen-address", _ => [$"{S}Metrics:Port=9464", $"{S}Metrics:ListenAddress=metrics.example"],
            _ => "invalid settings: GuestOwnerProxy:Metrics:ListenAddress: 'metrics.example' (endpoint http://metrics.example:9464): host must be localhost, * or an IP address, not 'metrics.example'"),
        new("metrics-port-is-a-grpc-port", _ => [$"{S}Urls:0=http://127.0.0.1:50999", $"{S}Metrics:Port=50999"],
            _ => "invalid settings: GuestOwnerProxy:Metrics:Port 50999 is also a gRPC endpoint's port: the metrics listener needs a port of its own"),
        new("audit-log-under-a-file", d => [$"{S}AuditLog={d}/plain-file/audit.jsonl"],
            d => $"invalid settings: GuestOwnerProxy:AuditLog: cannot create '{d}/plain-file/audit.jsonl': '{d}/plain-file' is a file, not a directory"),
        new("audit-log-is-a-directory", d => [$"{S}AuditLog={d}/a-directory"],
            d => $"invalid settings: GuestOwnerProxy:AuditLog: '{d}/a-directory' is a directory, not a file"),
        // /proc accepts no new files, for root too (the tests may run as root, where permissions do not stop a write).
        new("audit-log-directory-not-writable", _ => [$"{S}AuditLog=/proc/gop-audit/audit.jsonl"],
            _ => "invalid settings: GuestOwnerProxy:AuditLog: cannot create '/proc/gop-audit/audit.jsonl': directory '/proc' does not accept new files"),
        new("audit-log-sync-undefined", _ => [$"{S}AuditLogSync=7"], _ => "invalid settings: GuestOwnerProxy:AuditLogSync must be EveryRecord or None"),
        new("audit-log-sync-does-not-bind", _ => [$"{S}AuditLogSync=sometimes"],
            _ => "invalid settings: Failed to convert configuration value 'sometimes' at 'GuestOwnerProxy:AuditLogSync'"),
        new("log-file-sync-undefined", _ => [$"{S}LogFileSync=3"], _ => "invalid settings: GuestOwnerProxy:LogFileSync must be EveryRecord or None"),
        new("log-format-undefined", _ => [$"{S}LogFormat=5"], _ => "invalid settings: GuestOwnerProxy:LogFormat must be Text or Json"),
        new("log-file-format-does-not-bind", _ => [$"{S}LogFileFormat=xml"],
            _ => "invalid settings: Failed to convert configuration value 'xml' at 'GuestOwnerProxy:LogFileFormat'"),
        new("log-file-is-a-directory", d => [$"{S}LogFile={d}/a-directory"],
            d => $"invalid settings: GuestOwnerProxy:LogFile: '{d}/a-directory' is a directory, not a file"),
        new("reload-interval-negative", _ => [$"{S}ReloadInterval=-00:00:01"],
            _ => "invalid settings: GuestOwnerProxy:ReloadInterval must not be negative (zero disables hot reload)"),
        new("reload-interval-does-not-bind", _ => [$"{S}ReloadInterval=two seconds"],
            _ => "invalid settings: Failed to convert configuration value 'two seconds' at 'GuestOwnerProxy:ReloadInterval' to type 'System.TimeSpan'."),
        new("ttl-does-not-bind", _ => [$"{S}Sessions:Ttl=soon"],
            _ => "invalid settings: Failed to convert configuration value 'soon' at 'GuestOwnerProxy:Sessions:Ttl' to type 'System.TimeSpan'."),
        new("bundle-encoding-does-not-bind", _ => [$"{S}BundleEncoding:Csv=Hex"],
            _ => "invalid settings: Failed to convert configuration value 'Hex' at 'GuestOwnerProxy:BundleEncoding:Csv'"),
        new("bundle-encoding-undefined", _ => [$"{S}BundleEncoding:Sev=7"], _ => "invalid settings: GuestOwnerProxy:BundleEncoding:Sev must be Raw or Base64"),
        new("intermediate-not-a-certificate", d => [$"{S}Trust:IntermediateFiles:0={d}/not-a-cert.pem"],
            d => $"invalid configuration: appsettings GuestOwnerProxy:Trust: IntermediateFiles[0]: file '{d}/not-a-cert.pem' has 24 bytes, not an intermediate certificate file"),
        new("intermediate-is-a-directory", d => [$"{S}Trust:IntermediateFiles:0={d}/a-directory"],
            d => $"invalid configuration: appsettings GuestOwnerProxy:Trust: IntermediateFiles[0]: '{d}/a-directory' is a directory, not a regular file"),
        // A key no setting reads: the binder would ignore it and leave the rule at its default.
        new("unknown-setting", _ => [$"{S}Sessions:MaxSesions=3"],
            _ => "invalid settings: GuestOwnerProxy:Sessions (command line): unknown field \"MaxSesions\": did you mean 'MaxSessions'?"),
        new("unknown-trust-setting", d => [$"{S}Trust:Intermediate_Files:0={d}/plain-file"],
            _ => "invalid settings: GuestOwnerProxy:Trust (command line): unknown field \"Intermediate_Files\": did you mean 'IntermediateFiles'?"),
        new("unknown-setting-far-from-any", _ => [$"{S}Colour=blue"],
            _ => "invalid settings: GuestOwnerProxy (command line): unknown field \"Colour\" (known: KeysetsFile, KeysFile, "),
        new("value-given-as-a-section", _ => [$"{S}Port:Value=1"],
            _ => "invalid settings: GuestOwnerProxy:Port (command line): unknown field \"Value\" (GuestOwnerProxy:Port is a single value, not a section)"),
    ];

    public static IEnumerable<object[]> Names => All.Select(c => new object[] { c.Name });

    public static SettingsRefusal Named(string name) => All.Single(c => c.Name == name);
}
