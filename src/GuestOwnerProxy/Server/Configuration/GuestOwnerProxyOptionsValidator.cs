using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace GuestOwnerProxy.Server.Configuration;

/// <summary>
/// Every rule on the <c>GuestOwnerProxy</c> settings, each failure naming the setting by its configuration path
/// (what an operator types after <c>--</c> on the command line). The server refuses to start on any failure,
/// a settings reload keeps the last good settings, and <c>gop check-config</c> exits 2: all three through
/// <see cref="GuestOwnerProxySettings.Read"/>, so there is no second copy of a rule to drift. The keysets,
/// keys, trust and image files are the <see cref="BrokerConfigurationLoader"/>'s; this covers the settings themselves,
/// including the files the host opens for itself (audit log, TLS certificate and key).
/// </summary>
public sealed class GuestOwnerProxyOptionsValidator : IValidateOptions<GuestOwnerProxyOptions>
{
    private const string Section = GuestOwnerProxyOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, GuestOwnerProxyOptions options)
    {
        var failures = Failures(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> Failures(GuestOwnerProxyOptions options)
    {
        var sessions = options.Sessions;
        if (sessions.Ttl <= TimeSpan.Zero)
            yield return $"{Section}Sessions:Ttl must be positive";
        if (sessions.MaxSessions < 1)
            yield return $"{Section}Sessions:MaxSessions must be at least 1";
        if (sessions.MaxMeasurementAttempts < 1)
            yield return $"{Section}Sessions:MaxMeasurementAttempts must be at least 1";
        // An IdleTtl above Ttl is not an error: the session ends at Ttl anyway.
        if (sessions.IdleTtl <= TimeSpan.Zero)
            yield return $"{Section}Sessions:IdleTtl must be positive";
        if (sessions.MaxMemoryMiB < 1)
            yield return $"{Section}Sessions:MaxMemoryMiB must be at least 1";
        if (sessions.MaxPerClient < 1)
            yield return $"{Section}Sessions:MaxPerClient must be at least 1";
        if (!Enum.IsDefined(sessions.Store))
            yield return $"{Section}Sessions:Store must be memory or redis";
        if (sessions.Store == SessionStoreKind.Redis)
        {
            // Redis TTLs are whole milliseconds: a shorter one would be PX 0, which Redis refuses on every bundle.
            if (sessions.Ttl > TimeSpan.Zero && sessions.Ttl < TimeSpan.FromMilliseconds(1) || sessions.IdleTtl > TimeSpan.Zero && sessions.IdleTtl < TimeSpan.FromMilliseconds(1))
                yield return $"{Section}Sessions:Ttl and Sessions:IdleTtl must be at least 1 ms with the Redis store";
            foreach (var problem in RedisProblems(sessions.Redis))
                yield return $"{Section}Sessions:Redis:{problem}";
        }
        if (options.RateLimit.PermitsPerSecond < 0)
            yield return $"{Section}RateLimit:PermitsPerSecond must not be negative (0 switches rate limiting off)";
        if (options.RateLimit.PermitsPerSecond > 0 && options.RateLimit.Burst < 1)
            yield return $"{Section}RateLimit:Burst must be at least 1";
        if (options.ReloadInterval < TimeSpan.Zero)
            yield return $"{Section}ReloadInterval must not be negative (zero disables hot reload)";
        // "7" binds to an enum value that is not defined; the bundle builder would have no encoding for it.
        if (!Enum.IsDefined(options.BundleEncoding.Csv))
            yield return $"{Section}BundleEncoding:Csv must be Raw or Base64";
        if (!Enum.IsDefined(options.BundleEncoding.Sev))
            yield return $"{Section}BundleEncoding:Sev must be Raw or Base64";

        bool portValid = options.Port is >= 0 and <= 65535;
        if (!portValid)
            yield return $"{Section}Port must be 0..65535";
        var https = new List<string>();
        if (options.Urls.Count == 0)
        {
            // The default endpoint is built from ListenAddress and Port; a bad Port is reported above.
            var url = $"http://{options.ListenAddress}:{(portValid ? options.Port : 0)}";
            if (ListenEndpoint.TryParse(url, out var problem) is null)
                yield return $"{Section}ListenAddress: '{options.ListenAddress}' (endpoint {url}): {problem}";
        }
        for (int i = 0; i < options.Urls.Count; i++)
        {
            var endpoint = ListenEndpoint.TryParse(options.Urls[i], out var problem);
            if (endpoint is null)
                yield return $"{Section}Urls:{i}: '{options.Urls[i]}': {problem}";
            else if (endpoint.Https)
                https.Add(endpoint.Url);
        }
        if (https.Count > 0 && TlsProblem(options.Tls, https[0]) is { } tls)
            yield return tls;

        foreach (var metrics in MetricsProblems(options))
            yield return metrics;

        if (!string.IsNullOrWhiteSpace(options.AuditLog) && AppendFileProblem(options.AuditLog) is { } audit)
            yield return $"{Section}AuditLog: {audit}";
        if (!Enum.IsDefined(options.AuditLogSync))
            yield return $"{Section}AuditLogSync must be EveryRecord or None";
        if (!Enum.IsDefined(options.LogFileSync))
            yield return $"{Section}LogFileSync must be EveryRecord or None";
        if (!Enum.IsDefined(options.LogFormat))
            yield return $"{Section}LogFormat must be Text or Json";
        if (!Enum.IsDefined(options.LogFileFormat))
            yield return $"{Section}LogFileFormat must be Text or Json";
        // The -l file is opened as the audit log is: the same rules, so a bad path stops the start with its name.
        if (!string.IsNullOrWhiteSpace(options.LogFile) && AppendFileProblem(options.LogFile) is { } logFile)
            yield return $"{Section}LogFile: {logFile}";
    }

    /// <summary>What the Redis store needs before it can start: a configuration string StackExchange.Redis accepts, a
    /// bounded timeout, and at least one readable sealing key (read exactly as the store will read it).</summary>
    private static IEnumerable<string> RedisProblems(RedisSessionOptions redis)
    {
        if (string.IsNullOrWhiteSpace(redis.Configuration))
            yield return "Configuration is required when Sessions:Store is redis (a StackExchange.Redis configuration string, e.g. 127.0.0.1:6379)";
        else if (Sessions.Redis.RedisConnection.ConfigurationProblem(redis.Configuration) is { } problem)
            yield return $"Configuration: {problem}";
        if (redis.Timeout <= TimeSpan.Zero || redis.Timeout > TimeSpan.FromMinutes(1))
            yield return "Timeout must be positive and at most 00:01:00";
        if (redis.WaitForReplicas < 0)
            yield return "WaitForReplicas must not be negative";
        if (string.IsNullOrEmpty(redis.KeyPrefix))
            yield return "KeyPrefix must not be empty (keys of several deployments sharing one Redis would collide)";
        else if (redis.KeyPrefix.IndexOfAny(['{', '}']) >= 0)
            yield return "KeyPrefix must not contain '{' or '}' (the store's own hash tag keeps its quota keys in one Cluster slot)";
        if (redis.SealingKeyFiles.Count == 0)
            yield return "SealingKeyFiles: at least one sealing key file is required (create one with: gop sealing-key new FILE)";
        for (int i = 0; i < redis.SealingKeyFiles.Count; i++)
        {
            if (Sessions.Redis.SealingKey.FileProblem(redis.SealingKeyFiles[i]) is { } problem)
                yield return $"SealingKeyFiles:{i}: {problem}";
        }
    }

    /// <summary>The metrics listener: a port (0 disables it), an address as for the gRPC endpoint, and not a port the gRPC endpoints use.</summary>
    private static IEnumerable<string> MetricsProblems(GuestOwnerProxyOptions options)
    {
        const string metricsSection = Section + "Metrics:";
        var metrics = options.Metrics;
        if (metrics.Port is < 0 or > 65535)
        {
            yield return $"{metricsSection}Port must be 0..65535 (0 disables the metrics endpoint)";
            yield break;
        }
        if (metrics.Url is not { } url)
            yield break;
        if (ListenEndpoint.TryParse(url, out var problem) is null)
        {
            yield return $"{metricsSection}ListenAddress: '{metrics.ListenAddress}' (endpoint {url}): {problem}";
            yield break;
        }
        var grpcPorts = options.Urls.Count > 0
            ? options.Urls.Select(u => ListenEndpoint.TryParse(u, out _)?.Port)
            : [options.Port];
        if (grpcPorts.Contains(metrics.Port))
            yield return $"{metricsSection}Port {metrics.Port} is also a gRPC endpoint's port: the metrics listener needs a port of its own";
    }

    /// <summary>The certificate and key an https endpoint needs, loaded as Kestrel will load them, and the client CA file.</summary>
    private static string? TlsProblem(TlsOptions tls, string httpsUrl)
    {
        const string tlsSection = Section + "Tls:";
        if (string.IsNullOrWhiteSpace(tls.CertificateFile) || string.IsNullOrWhiteSpace(tls.KeyFile))
            return $"{tlsSection}CertificateFile and {tlsSection}KeyFile (PEM) are required for the https endpoint '{httpsUrl}'";
        // A FIFO would block the start; the same guard as for every other configured file.
        if (FileKind.Problem(tls.CertificateFile) is { } certificateFile)
            return $"{tlsSection}CertificateFile: {certificateFile}";
        if (FileKind.Problem(tls.KeyFile) is { } keyFile)
            return $"{tlsSection}KeyFile: {keyFile}";
        try
        {
            using var certificate = X509Certificate2.CreateFromPemFile(tls.CertificateFile, tls.KeyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            return $"{tlsSection}CertificateFile: cannot load '{tls.CertificateFile}' with key '{tls.KeyFile}': {OneLine(ex.Message)}";
        }

        if (!tls.RequireClientCertificate || string.IsNullOrWhiteSpace(tls.ClientCaFile))
            return null;
        if (FileKind.Problem(tls.ClientCaFile) is { } caFile)
            return $"{tlsSection}ClientCaFile: {caFile}";
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(tls.ClientCaFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return $"{tlsSection}ClientCaFile: cannot load '{tls.ClientCaFile}': {OneLine(ex.Message)}";
        }
        finally
        {
            foreach (var authority in authorities)
                authority.Dispose();
        }
        // An empty collection would make every client certificate fail to chain: the endpoint would refuse everyone.
        return authorities.Count == 0 ? $"{tlsSection}ClientCaFile: '{tls.ClientCaFile}' holds no PEM certificate" : null;
    }

    /// <summary>
    /// Whether a log file (the audit log, the -l file) can be opened for append as <see cref="Logging.AppendOnlyFile"/> opens it, without
    /// writing a record or creating anything that stays: an existing file is opened for append and closed;
    /// for a missing file (the server creates it and its directories) the nearest existing directory must
    /// accept a new file, tried with a probe that is deleted when closed.
    /// </summary>
    internal static string? AppendFileProblem(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"'{path}' is not a file path: {OneLine(ex.Message)}";
        }
        switch (FileKind.Of(full))
        {
            case FileKindResult.Directory:
                return $"'{path}' is a directory, not a file";
            case FileKindResult.Special:
                // Opening a FIFO for writing blocks until a reader appears.
                return $"'{path}' is not a regular file (a FIFO, socket or device)";
            case FileKindResult.Regular:
                try
                {
                    using var append = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                    return null;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return $"cannot append to '{path}': {OneLine(ex.Message)}";
                }
        }

        var directory = Path.GetDirectoryName(full);
        while (directory is not null && !Directory.Exists(directory))
        {
            if (File.Exists(directory))
                return $"cannot create '{path}': '{directory}' is a file, not a directory";
            directory = Path.GetDirectoryName(directory);
        }
        if (directory is null)
            return $"cannot create '{path}': none of its directories exists";
        var probe = Path.Combine(directory, $".gop-audit-probe-{Guid.NewGuid():n}");
        try
        {
            using var file = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The probe's random name stays out of the message: the server and check-config print the same line.
            var reason = ex switch
            {
                UnauthorizedAccessException => "permission denied",
                FileNotFoundException or DirectoryNotFoundException => "the file system refuses to create files there",
                _ => OneLine(ex.Message.Replace(probe, directory)),
            };
            return $"cannot create '{path}': directory '{directory}' does not accept new files ({reason})";
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
