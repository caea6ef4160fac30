using GuestOwnerProxy.Server.Audit;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>A failing audit log never changes a decision; the failure is logged at Error.</summary>
public sealed class AuditFailureTests
{
    private sealed class BrokenAuditLog : IAuditLog
    {
        public int Attempts;

        public void Write(AuditRecord record)
        {
            Interlocked.Increment(ref Attempts);
            throw new IOException("No space left on device");
        }
    }

    [Fact]
    public async Task Release_and_denial_keep_their_outcome_when_the_audit_write_fails()
    {
        var broken = new BrokenAuditLog();
        var setup = new ServerSetup { Services = services => services.AddSingleton<IAuditLog>(broken) };
        await using var server = await ProxyServer.StartAsync(setup);
        // The metrics' hook: every record that did not reach the audit log is counted and raised once.
        var counted = server.App.Services.GetRequiredService<AuditWriteFailures>();
        var raised = new List<string>();
        counted.Failed += (record, error) => { lock (raised) raised.Add($"{record.Event} {record.Decision}: {error.Message}"); };

        using var launch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [setup.OvmfBytes]);
        LaunchTests.AssertGuestGotKeys(launch.Inject(await server.Client.GetLaunchSecretAsync(launch.SecretRequest())), setup);
        // A denial keeps its own status, not INTERNAL.
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(launch.SecretRequest()).ResponseAsync,
            Grpc.Core.StatusCode.InvalidArgument, "CONNECTION ID INVALID");

        Assert.Equal(3, broken.Attempts);
        Assert.Equal(3, counted.Count);
        Assert.Equal(["bundle issued: No space left on device", "secret released: No space left on device",
            "secret denied: No space left on device"], raised);
        var failures = server.Logs.Events.Where(e => e.RenderMessage().Contains("AUDIT LOG WRITE FAILED")).ToList();
        Assert.Equal(3, failures.Count);
        Assert.All(failures, e => Assert.Equal(LogEventLevel.Error, e.Level));
        Assert.Contains(failures, e => e.RenderMessage().Contains("\"released\""));
        Assert.DoesNotContain(server.Logs.Events, e => e.RenderMessage().Contains("unexpectedly"));
    }
}
