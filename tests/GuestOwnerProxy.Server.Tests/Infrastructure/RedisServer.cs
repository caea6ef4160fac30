using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GuestOwnerProxy.Server.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on loopback for the tests (never a mock). <see cref="Shared"/> is the one named by
/// GOP_TEST_REDIS (host:port; <c>.ci/run</c> starts it) or, without it, one this test run starts; tests that stop Redis
/// start their own (<see cref="StartPrivate"/>). Without a redis-server binary the Redis tests are skipped
/// (<see cref="RedisFactAttribute"/>), unless GOP_REQUIRE_REDIS=1 (CI), which makes them fail instead.
/// Compiled into the server and the CLI test projects.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private static readonly Lazy<RedisServer> SharedServer = new(() =>
        Environment.GetEnvironmentVariable("GOP_TEST_REDIS") is { Length: > 0 } external
            ? new RedisServer(external)
            : StartPrivate());
    private Process? _process;

    private RedisServer(string address) => Address = address;

    private readonly string[] _extra = [];

    private RedisServer(int port, string[] extra)
    {
        Port = port;
        Address = $"127.0.0.1:{port}";
        _extra = extra;
    }

    /// <summary>host:port, usable as a StackExchange.Redis configuration string.</summary>
    public string Address { get; }

    public int Port { get; }

    public static RedisServer Shared => SharedServer.Value;

    public static string? Binary =>
        Environment.GetEnvironmentVariable("GOP_REDIS_SERVER") is { Length: > 0 } named ? named
        : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/sbin")
            .Select(dir => Path.Combine(dir, "redis-server")).FirstOrDefault(File.Exists);

    public static bool Available =>
        Environment.GetEnvironmentVariable("GOP_TEST_REDIS") is { Length: > 0 } || Binary is not null;

    public static string SkipReason =>
        "no redis-server (install Debian's redis-server, or set GOP_TEST_REDIS=host:port); GOP_REQUIRE_REDIS=1 makes this a failure";

    /// <summary>A redis-server of this test's own, on a free loopback port, with no persistence.</summary>
    /// <param name="extra">More redis-server arguments (<c>--replicaof HOST PORT</c> for a replica).</param>
    public static RedisServer StartPrivate(params string[] extra)
    {
        for (int attempt = 0; ; attempt++)
        {
            var server = new RedisServer(FreePort(), extra);
            try
            {
                server.Start();
                if (!AppDomainCleanup.Registered)
                    AppDomainCleanup.Register();
                AppDomainCleanup.Add(server);
                return server;
            }
            catch when (attempt < 4)
            {
                server.Dispose(); // the port was taken meanwhile: draw another
            }
        }
    }

    /// <summary>(Re)starts this server's process on its port (after <see cref="Kill"/>).</summary>
    public void Start()
    {
        var binary = Binary ?? throw new InvalidOperationException(SkipReason);
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning" }.Concat(_extra))
            start.ArgumentList.Add(arg);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!Ping())
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                Kill();
                throw new InvalidOperationException($"redis-server did not start on port {Port}");
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>SIGKILL: Redis is gone at once, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>SIGSTOP: the process stays, its socket accepts, nothing answers (a hung Redis).</summary>
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    private void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process!.Id.ToString()])!;
        kill.WaitForExit();
    }

    /// <summary>True when something on this address answers PING with PONG.</summary>
    public bool Ping()
    {
        try
        {
            var (host, port) = Split();
            using var client = new TcpClient();
            client.Connect(host, port);
            var stream = client.GetStream();
            stream.ReadTimeout = 1000;
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            int read = stream.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return false;
        }
    }

    private (string Host, int Port) Split()
    {
        int colon = Address.LastIndexOf(':');
        return (Address[..colon], int.Parse(Address[(colon + 1)..]));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => Kill();

    /// <summary>Servers this run started are killed when the test process ends, whatever the tests did.</summary>
    private static class AppDomainCleanup
    {
        private static readonly List<RedisServer> Servers = [];
        public static bool Registered { get; private set; }

        public static void Register()
        {
            lock (Servers)
            {
                if (Registered)
                    return;
                Registered = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    lock (Servers)
                        foreach (var server in Servers)
                            server.Kill();
                };
            }
        }

        public static void Add(RedisServer server)
        {
            lock (Servers)
                Servers.Add(server);
        }
    }
}

/// <summary>A fact that needs a real Redis: skipped without a redis-server, unless GOP_REQUIRE_REDIS=1.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (!RedisServer.Available && Environment.GetEnvironmentVariable("GOP_REQUIRE_REDIS") != "1")
            Skip = RedisServer.SkipReason;
    }
}

/// <summary>A theory that needs a real Redis (see <see cref="RedisFactAttribute"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisTheoryAttribute : TheoryAttribute
{
    public RedisTheoryAttribute()
    {
        if (!RedisServer.Available && Environment.GetEnvironmentVariable("GOP_REQUIRE_REDIS") != "1")
            Skip = RedisServer.SkipReason;
    }
}
