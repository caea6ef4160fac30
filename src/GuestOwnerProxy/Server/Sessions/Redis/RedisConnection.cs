using GuestOwnerProxy.Server.Configuration;
using StackExchange.Redis;

namespace GuestOwnerProxy.Server.Sessions.Redis;

/// <summary>
/// The one connection (multiplexer) to Redis, configured so that an outage is a bounded failure instead of a hang: it
/// connects in the background and keeps reconnecting by itself (the proxy starts, and resumes, without Redis), and a
/// command waits at most the configured timeout, whether for an answer or, while a connection is being (re)made, in
/// StackExchange.Redis's backlog, so a blip of a few hundred milliseconds costs latency, not a launch.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable, IDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;

    private RedisConnection(ConnectionMultiplexer multiplexer) => _multiplexer = multiplexer;

    /// <summary>Null when StackExchange.Redis accepts <paramref name="configuration"/>, otherwise its reason.</summary>
    public static string? ConfigurationProblem(string configuration)
    {
        try
        {
            var options = ConfigurationOptions.Parse(configuration);
            return options.EndPoints.Count == 0 ? "names no endpoint (host:port)" : null;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or NotSupportedException or RedisConnectionException)
        {
            return ex.Message;
        }
    }

    public static RedisConnection Open(RedisSessionOptions settings, TextWriter? log = null)
    {
        var options = ConfigurationOptions.Parse(settings.Configuration!);
        int timeout = (int)Math.Ceiling(settings.Timeout.TotalMilliseconds);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = timeout;
        options.SyncTimeout = timeout;
        options.AsyncTimeout = timeout;
        options.ClientName ??= "gop";
        return new RedisConnection(ConnectionMultiplexer.Connect(options, log));
    }

    public IDatabase Database => _multiplexer.GetDatabase();

    public bool IsConnected => _multiplexer.IsConnected;

    /// <summary>Raised when the connection drops or comes back, for the log.</summary>
    public event EventHandler<ConnectionFailedEventArgs> ConnectionFailed
    {
        add => _multiplexer.ConnectionFailed += value;
        remove => _multiplexer.ConnectionFailed -= value;
    }

    public event EventHandler<ConnectionFailedEventArgs> ConnectionRestored
    {
        add => _multiplexer.ConnectionRestored += value;
        remove => _multiplexer.ConnectionRestored -= value;
    }

    public ValueTask DisposeAsync() => _multiplexer.DisposeAsync();

    public void Dispose() => _multiplexer.Dispose();
}
