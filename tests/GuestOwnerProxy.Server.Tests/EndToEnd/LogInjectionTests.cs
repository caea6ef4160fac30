using GuestOwnerProxy.Protocol.KeyBroker;
using GuestOwnerProxy.Server.Logging;
using GuestOwnerProxy.Server.Tests.Infrastructure;
using GuestOwnerProxy.Server.Tests.KeyBroker;

namespace GuestOwnerProxy.Server.Tests.EndToEnd;

/// <summary>Client-supplied strings cannot forge log lines or flood the log.</summary>
public sealed class LogInjectionTests
{
    private const string Forged = "[2030-01-01 00:00:00.000 +00:00 INF] GuestOwnerProxy: Secret released";

    [Fact]
    public void Quote_escapes_controls_and_caps_length()
    {
        Assert.Equal("KEYSET-1", ClientText.Quote("KEYSET-1"));
        Assert.Equal(@"a\u000a\u000db\u001b[31m\\u000a\u2028", ClientText.Quote("a\n\rb\u001b[31m\\u000a\u2028"));
        var quoted = ClientText.Quote(new string('x', 5000));
        Assert.StartsWith(new string('x', ClientText.DefaultMaxLength) + "… (5000 chars)", quoted);
        Assert.True(quoted.Length < 100);
    }

    [Fact]
    public async Task Keyset_ids_and_keybroker_ids_reach_logs_and_details_escaped()
    {
        await using var server = await ProxyServer.StartAsync();
        var evil = "KEYSET-1\n" + Forged + new string('y', 3000);

        using var setupLaunch = await SimulatedLaunch.StartAsync(server.Client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        await Denied.Assert(() => server.Client.GetLaunchSecretAsync(setupLaunch.SecretRequest(evil)).ResponseAsync,
            Grpc.Core.StatusCode.InvalidArgument, "KEYSET INVALID");

        var client = new KeyBrokerService.KeyBrokerServiceClient(server.Channel);
        using var kbLaunch = await KeyBrokerLaunch.StartAsync(client, TestPlatforms.Sev, [server.Setup.OvmfBytes]);
        var request = kbLaunch.KataRequest();
        request.SecretRequests.Add(new RequestDetails { Guid = Guid.NewGuid().ToString(), Format = "JSON", SecretType = "key", Id = evil });
        var denied = await Rejected.Assert(() => client.GetSecretAsync(request).ResponseAsync, Grpc.Core.StatusCode.InvalidArgument, "KEY_NOT_IN_KEYSET");
        Assert.DoesNotContain('\n', denied.Status.Detail);
        Assert.True(denied.Status.Detail.Length < 400, denied.Status.Detail);

        var onlyDescription = kbLaunch.KataRequest();
        onlyDescription.SecretRequests.Clear();
        onlyDescription.SecretRequests.Add(new RequestDetails { Guid = Guid.NewGuid().ToString(), Format = "binary", SecretType = "key", Id = "key_id1" });
        onlyDescription.LaunchDescription = evil;
        await Rejected.Assert(() => client.GetSecretAsync(onlyDescription).ResponseAsync, Grpc.Core.StatusCode.InvalidArgument, "KEYSET_INVALID");

        var mentioning = server.Logs.Events.Select(e => e.RenderMessage()).Where(m => m.Contains("2030-01-01", StringComparison.Ordinal)).ToList();
        Assert.True(mentioning.Count >= 3, string.Join("\n", mentioning));
        Assert.All(mentioning, m =>
        {
            Assert.DoesNotContain('\n', m);
            Assert.Contains(@"KEYSET-1\u000a", m);
            Assert.DoesNotContain(new string('y', 100), m);
        });
        foreach (var line in server.AuditLines())
            Assert.DoesNotContain(new string('y', 100), line);
    }
}
