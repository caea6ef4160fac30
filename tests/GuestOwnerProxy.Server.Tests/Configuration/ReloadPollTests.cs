using GuestOwnerProxy.Server.Tests.Infrastructure;

namespace GuestOwnerProxy.Server.Tests.Configuration;

/// <summary>The reload poll stamps the files every interval but parses keysets.json only when its content changed.</summary>
public sealed class ReloadPollTests
{
    [Fact]
    public async Task Unchanged_keysets_file_is_not_parsed_again_by_the_poll()
    {
        // Hot reload off, so only the polls below run (ReloadIfChanged is what the reload service calls every interval).
        var setup = new ServerSetup();
        setup.Settings["GuestOwnerProxy:ReloadInterval"] = "00:00:00";
        await using var server = await ProxyServer.StartAsync(setup);
        var store = server.ConfigurationStore;
        int atStart = store.KeysetsFileParses;
        Assert.Equal(1, atStart);

        for (int i = 0; i < 5; i++)
            Assert.False(store.ReloadIfChanged());
        Assert.Equal(atStart, store.KeysetsFileParses);

        // An edit is parsed once, and then not again.
        var keysets = setup.Directory.File("keysets.json");
        File.WriteAllText(keysets, File.ReadAllText(keysets).Replace("\"min-api-minor\": 2", "\"min-api-minor\": 3"));
        Assert.True(store.ReloadIfChanged());
        Assert.Equal(atStart + 1, store.KeysetsFileParses);
        for (int i = 0; i < 3; i++)
            Assert.False(store.ReloadIfChanged());
        Assert.Equal(atStart + 1, store.KeysetsFileParses);
    }
}
