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

    /// <summary><c>-l/--logfile</c>: also write the log to this file (compact JSON lines).</summary>
    public string? LogFile { get; set; }

    /// <summary><c>-p/--port</c>: port of the default endpoint (used when <see cref="Urls"/> is empty).</summary>
    public int Port { get; set; } = 50051;

    /// <summary>Host of the default endpoint: "localhost" (default), "*" for every interface, or an IP address.</summary>
    public string ListenAddress { get; set; } = "localhost";

    /// <summary>Explicit endpoints ("http://127.0.0.1:50051", "https://*:50052"). http = h2c, https = TLS (see <see cref="Tls"/>).</summary>
    public List<string> Urls { get; set; } = [];

    public TlsOptions Tls { get; set; } = new();

    /// <summary>Append-only JSON-lines audit log. Empty disables it (warned at start-up).</summary>
    public string? AuditLog { get; set; } = "gop-audit.jsonl";

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
