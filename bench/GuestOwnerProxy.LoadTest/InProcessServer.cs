using GuestOwnerProxy.Server.Hosting;
using GuestOwnerProxy.Server.Sessions;
using GuestOwnerProxy.Server.Sessions.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serilog.Core;
using Serilog.Events;

namespace GuestOwnerProxy.LoadTest;

/// <summary>
/// The real server (<see cref="ServerHost.Build"/>: Kestrel, gRPC, audit log, hot reload) on
/// 127.0.0.1 with an ephemeral port, in the Production environment: only the built-in vendor pins
/// plus, explicitly, the development simulator roots from config/dev. Its keyset allows one image and
/// releases two random keys, which the launches must find in the guest.
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private InProcessServer(WebApplication app, string directory, string address, LaunchExpectation expectation, IReadOnlyList<string> rootFingerprints)
    {
        App = app;
        Directory = directory;
        Address = address;
        Expectation = expectation;
        RootFingerprints = rootFingerprints;
    }

    public WebApplication App { get; }
    public string Directory { get; }
    public string Address { get; }
    public LaunchExpectation Expectation { get; }
    public IReadOnlyList<string> RootFingerprints { get; }
    public ValueTask<int> LiveSessionsAsync() => App.Services.GetRequiredService<ISessionStore>().CountAsync();

    /// <summary>Redis commands the session store sent so far; null with the memory store.</summary>
    public long? StoreOperations => App.Services.GetRequiredService<ISessionStore>() is RedisSessionStore redis ? redis.Operations : null;

    public static async Task<InProcessServer> StartAsync(LoadTestOptions options)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("gop-loadtest-").FullName;
        try
        {
            var setup = ServerSetup.Write(dir, options.RepositoryRoot, options.Keyset, options.OvmfFile, options.ImageSize);
            var settings = new Dictionary<string, string?>(setup.Settings)
            {
                ["GuestOwnerProxy:Urls:0"] = "http://127.0.0.1:0",
                ["GuestOwnerProxy:Metrics:Port"] = "0",
            };
            if (options.Store == "redis")
            {
                string sealingKey = Path.Combine(dir, "sealing.key");
                SealingKey.Create(sealingKey);
                settings["GuestOwnerProxy:Sessions:Store"] = "redis";
                settings["GuestOwnerProxy:Sessions:Redis:Configuration"] = options.Redis;
                settings["GuestOwnerProxy:Sessions:Redis:KeyPrefix"] = $"load{Guid.NewGuid():N}:";
                settings["GuestOwnerProxy:Sessions:Redis:SealingKeyFiles:0"] = sealingKey;
            }

            // The environment is explicit: a developer's ASPNETCORE_ENVIRONMENT=Development would trust more.
            // The server's log level: a Serilog section is refused (logging is configured in code), but the logger
            // follows a LoggingLevelSwitch registered in DI (Serilog's ReadFrom.Services).
            var level = new LoggingLevelSwitch(Enum.Parse<LogEventLevel>(options.ServerLogLevel));
            var app = ServerHost.Build(["--environment", "Production"], builder =>
            {
                builder.Configuration.AddInMemoryCollection(settings);
                builder.Services.AddSingleton(level);
                // The host's periodic health run (a PING through the session store every 30 s) would add to the
                // measured store commands at random; a load test has no probe.
                builder.Services.Configure<HealthCheckPublisherOptions>(o => o.Delay = TimeSpan.FromDays(1));
            });
            await app.StartAsync();
            string address = app.Urls.Single();
            return new InProcessServer(app, dir, address, setup.Expectation, setup.RootFingerprints);
        }
        catch
        {
            TryDelete(dir);
            throw;
        }
    }

    private static void TryDelete(string dir)
    {
        try { System.IO.Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        TryDelete(Directory);
    }
}
