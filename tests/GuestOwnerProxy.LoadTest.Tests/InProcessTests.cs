using System.Text.Json;

namespace GuestOwnerProxy.LoadTest.Tests;

/// <summary>
/// The load test with its own in-process server (no --target), as docs/load-test.md runs it: launches, and the store
/// probe (<c>--mode store</c>) on the memory store and, when CI's redis-server is there (GOP_TEST_REDIS), on Redis.
/// The server is built from the same settings code as <c>gop serve</c>, so a setting it refuses (a Serilog section
/// once) fails here instead of at the next benchmark. No timing is asserted.
/// </summary>
public sealed class InProcessTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static GopResult RunLoadTest(params string[] args) => LoadTestProcess.Run(args);

    /// <summary>
    /// The load test's arguments for <paramref name="store"/>: none for memory; for redis, CI's redis-server (.ci/run
    /// exports GOP_TEST_REDIS), or null when there is none and Redis is not required (a developer's run: skip).
    /// </summary>
    private static string[]? StoreArgs(string store)
    {
        if (store == "memory")
            return [];
        var address = Environment.GetEnvironmentVariable("GOP_TEST_REDIS");
        if (string.IsNullOrEmpty(address) && Environment.GetEnvironmentVariable("GOP_REQUIRE_REDIS") == "1")
            Assert.Fail("GOP_REQUIRE_REDIS=1 but GOP_TEST_REDIS names no redis-server");
        return string.IsNullOrEmpty(address) ? null : ["--store", "redis", "--redis", address];
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("redis")]
    public void Launches_against_the_in_process_server_succeed_with_either_store(string store)
    {
        if (StoreArgs(store) is not { } redisArgs)
            return; // no Redis on this machine (a developer's run); CI requires one
        var run = RunLoadTest(["--platform", "both", "--concurrency", "2", "--launches", "6", "--warmup", "2", "--pool", "1",
            "--json-out", _dir.File("launch.json"), .. redisArgs]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"sessions in {store}", run.Stdout);
        var json = JsonDocument.Parse(File.ReadAllText(_dir.File("launch.json"))).RootElement;
        Assert.True(json.GetProperty("options").GetProperty("inProcess").GetBoolean());
        Assert.Equal(6, json.GetProperty("result").GetProperty("succeeded").GetInt32());
        Assert.Equal(0, json.GetProperty("result").GetProperty("failed").GetInt32());
        if (store == "redis")
            Assert.Matches(@"redis:     \d+ commands in the measured phase = 3\.0 per launch", run.Stdout);
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("redis")]
    public void The_store_probe_adds_takes_and_releases_every_session(string store)
    {
        if (StoreArgs(store) is not { } redisArgs)
            return;
        var run = RunLoadTest(["--mode", "store", "--launches", "50", "--warmup", "5", .. redisArgs]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"add \+ take \+ release +CPU ms/launch [0-9.]+ / [0-9.]+ / [0-9.]+", run.Stdout);
        Assert.Contains("sessions:  0 left live", run.Stdout);
        if (store == "redis")
        {
            Assert.Contains("3 bare PINGs (reference)", run.Stdout);
            // Warm-up and 3 x 50 launches at 3 commands each, plus 3 PINGs per launch after each pass.
            Assert.Contains($"redis:     {(5 + 3 * 50) * 3 + (5 + 3 * 50) * 3} round trips sent by the store", run.Stdout);
        }
        else
            Assert.DoesNotContain("PINGs", run.Stdout);
    }

    [Fact]
    public void The_store_probe_takes_no_target_and_writes_no_json()
    {
        var run = RunLoadTest("--mode", "store", "--target", "127.0.0.1:1");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--mode store measures the in-process server's session store; it takes no --target", run.Stderr);
        var json = RunLoadTest("--mode", "store", "--json");
        Assert.Equal(2, json.ExitCode);
        Assert.Contains("--mode store prints its figures only", json.Stderr);
    }
}
