namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// The <c>GuestOwnerProxy</c> section of appsettings (and what the Python flags map onto).
/// Paths are relative to the working directory unless absolute.
/// </summary>
public sealed class GuestOwnerProxyOptions
{
    public const string SectionName = "GuestOwnerProxy";

    /// <summary>keysets.json (<c>-c/--config</c>).</summary>
    public string KeysetsFile { get; set; } = "keysets.json";

    /// <summary>keys.json (<c>-k/--keyfile</c>). Secret material.</summary>
    public string KeysFile { get; set; } = "keys.json";

    /// <summary><c>-u/--unsafe</c>: measurements are not verified at all. Logged loudly.</summary>
    public bool Unsafe { get; set; }

    /// <summary><c>-d/--debug</c>: debug-level logging.</summary>
    public bool Debug { get; set; }

    /// <summary><c>-l/--logfile</c>: also write the log to this file (appended, reopened on SIGHUP; see <see cref="LogFileFormat"/>).</summary>
    public string? LogFile { get; set; }

    /// <summary><c>--log-format</c>: the console's format, text for a terminal (default) or JSON for a log shipper.</summary>
    public LogFormat LogFormat { get; set; } = LogFormat.Text;

    /// <summary><c>--log-file-format</c>: the <see cref="LogFile"/>'s format; JSON lines (compact, CLEF) by default.</summary>
    public LogFormat LogFileFormat { get; set; } = LogFormat.Json;

    /// <summary>When the <see cref="LogFile"/> is synced to disk; the kernel decides by default (a crash of the process loses nothing).</summary>
    public FileSyncPolicy LogFileSync { get; set; } = FileSyncPolicy.None;

    /// <summary><c>-p/--port</c>: port of the default endpoint (used when <see cref="Urls"/> is empty).</summary>
    public int Port { get; set; } = 50051;

    /// <summary>Host of the default endpoint: "localhost" (default), "*" for every interface, or an IP address.</summary>
    public string ListenAddress { get; set; } = "localhost";

    /// <summary>Explicit endpoints ("http://127.0.0.1:50051", "https://*:50052"). http = h2c, https = TLS (see <see cref="Tls"/>).</summary>
    public List<string> Urls { get; set; } = [];

    public TlsOptions Tls { get; set; } = new();

    /// <summary>Append-only JSON-lines audit log. Empty disables it (warned at start-up).</summary>
    public string? AuditLog { get; set; } = "gop-audit.jsonl";

    /// <summary>When the <see cref="AuditLog"/> is synced to disk: after every record by default, so a decision the
    /// client has been told survives a power loss.</summary>
    public FileSyncPolicy AuditLogSync { get; set; } = FileSyncPolicy.EveryRecord;

    /// <summary>How often the keysets/keys/image/trust files are checked for changes. Zero disables hot reload.</summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(2);

    public SessionLimitOptions Sessions { get; set; } = new();

    public RateLimitOptions RateLimit { get; set; } = new();

    public TrustOptions Trust { get; set; } = new();

    public BundleEncodingOptions BundleEncoding { get; set; } = new();

    public MetricsOptions Metrics { get; set; } = new();
}

/// <summary>The Prometheus scrape endpoint (<c>GET /metrics</c>): a listener of its own, plain HTTP/1.1, so the gRPC
/// endpoints stay h2c/TLS-only and never answer it. Read at start-up, like the other endpoints.</summary>
public sealed class MetricsOptions
{
    /// <summary>Port of the metrics listener; 0 disables metrics export. 9464 is the OpenTelemetry Prometheus exporter's usual port.</summary>
    public int Port { get; set; } = 9464;

    /// <summary>"localhost" (default), "*" for every interface (a container scraped from outside), or an IP address.</summary>
    public string ListenAddress { get; set; } = "localhost";

    /// <summary>The listener's URL; null when disabled.</summary>
    public string? Url => Port == 0 ? null : $"http://{ListenAddress}:{Port}";
}

public sealed class SessionLimitOptions
{
    /// <summary>Whole-session lifetime, from the bundle.</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A session that never had a measurement checked expires this long after its bundle (kata measures within
    /// seconds): bundles taken and abandoned in bulk stop holding memory long before <see cref="Ttl"/>. The session
    /// ends at <see cref="Ttl"/> in any case.</summary>
    public TimeSpan IdleTtl { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Bound on the memory live sessions hold (keys, GODH, session blob and the platform's evidence, estimated
    /// per session), in MiB. With the usual 8 KiB of PDH and chain a session holds about 11 KiB.</summary>
    public int MaxMemoryMiB { get; set; } = 1024;

    /// <summary>Bound on the number of live sessions, whatever their size.</summary>
    public int MaxSessions { get; set; } = 100_000;

    /// <summary>Live sessions one client (TLS client certificate when mTLS is on, else the peer address) may hold.</summary>
    public int MaxPerClient { get; set; } = 256;

    public int MaxMeasurementAttempts { get; set; } = 3;

    /// <summary>Where live sessions are kept: this process's memory (default; a restart loses them) or Redis, shared
    /// by every replica and surviving restarts (<see cref="Redis"/>).</summary>
    public SessionStoreKind Store { get; set; } = SessionStoreKind.Memory;

    public RedisSessionOptions Redis { get; set; } = new();
}

public enum SessionStoreKind
{
    Memory,
    Redis,
}

/// <summary>The Redis session store (<c>Sessions:Store = redis</c>). Every value is sealed (AES-256-GCM) before it leaves
/// the process: Redis holds no TEK, TIK or key in the clear.</summary>
public sealed class RedisSessionOptions
{
    /// <summary>A StackExchange.Redis configuration string ("127.0.0.1:6379", "sentinel1:26379,serviceName=mymaster",
    /// "redis.example:6380,ssl=true,user=gop,password=..."), so Sentinel, Cluster, TLS and ACL users all work.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefix of every key the proxy writes, so several deployments can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "gop:";

    /// <summary>Sealing key files (32 random bytes each, mode 0600; <c>gop sealing-key new FILE</c>). The first seals new
    /// sessions; all of them unseal, so a key is rotated by putting a new one first and removing the old one once the
    /// sessions it sealed have expired (<see cref="SessionLimitOptions.Ttl"/>).</summary>
    public List<string> SealingKeyFiles { get; set; } = [];

    /// <summary>Bound on connecting and on every Redis command; past it the request is denied UNAVAILABLE.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Redis replicas that must acknowledge a session's take (WAIT) before its secret is released, so single use
    /// survives a failover (Sentinel, Cluster): a promoted replica that never saw the take could hand the session out
    /// again. 0 (default, a single Redis) does not wait.</summary>
    public int WaitForReplicas { get; set; }
}

/// <summary>Per-client request rate on the broker's methods (ASP.NET Core's token bucket limiter), by the same client
/// identity as <see cref="SessionLimitOptions.MaxPerClient"/>.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per second a client may sustain; 0 switches rate limiting off.</summary>
    public int PermitsPerSecond { get; set; } = 200;

    /// <summary>Requests a client may send at once after a quiet period (the bucket's size).</summary>
    public int Burst { get; set; } = 400;
}

/// <summary>What the operator trusts besides the built-in pinned roots (HRK, AMD ARKs).</summary>
public sealed class TrustOptions
{
    /// <summary>Root certificate files (HRK, ARK). Used only when pinned or listed in <see cref="ExtraRootFingerprints"/>.</summary>
    public List<string> RootFiles { get; set; } = [];

    /// <summary>Lowercase hex SHA-256 of extra roots to accept (lab/simulator roots). Each is warned about at start-up.</summary>
    public List<string> ExtraRootFingerprints { get; set; } = [];

    /// <summary>Directories of hsk_cek (CSV) and ASK / ASK-signed CEK (SEV) files from the vendors' key servers.</summary>
    public List<string> IntermediateDirectories { get; set; } = [];

    /// <summary>Individual intermediate files.</summary>
    public List<string> IntermediateFiles { get; set; } = [];

    /// <summary>Switches chain verification off. Never a default; logged loudly on every bundle.</summary>
    public bool SkipVerification { get; set; }
}

/// <summary>How log lines are written: the console template or compact JSON (one object per line, CLEF).</summary>
public enum LogFormat
{
    /// <summary><c>[time LVL] source: message</c>, an exception's stack trace on the following lines.</summary>
    Text,
    /// <summary>Serilog's compact JSON (<c>@t</c>, <c>@mt</c>, <c>@l</c>, <c>@x</c>, properties): one line per event.</summary>
    Json,
}

/// <summary>When an appended log file is flushed to stable storage (<c>fdatasync</c>).</summary>
public enum FileSyncPolicy
{
    /// <summary>After every record: a written record survives a power loss. One disk flush per record.</summary>
    EveryRecord,
    /// <summary>Left to the kernel: a written record survives a crash of the process, not of the machine.</summary>
    None,
}

public enum BundleEncoding
{
    /// <summary>Raw binary (the AMD SEV client base64-encodes itself).</summary>
    Raw,
    /// <summary>Base64 ASCII text without newlines (the Hygon CSV client writes the fields unchanged).</summary>
    Base64,
}

public sealed class BundleEncodingOptions
{
    public BundleEncoding Csv { get; set; } = BundleEncoding.Base64;
    public BundleEncoding Sev { get; set; } = BundleEncoding.Raw;
}

public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain) for https endpoints.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key for <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Require a client certificate on https endpoints.</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>PEM CA certificate(s) that client certificates must chain to (default: the system store).</summary>
    public string? ClientCaFile { get; set; }
}
