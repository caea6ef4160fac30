namespace GuestOwnerProxy.Cli.Tests;

/// <summary><c>gop health</c> against the real server process: grpc.health.v1 per service name, as a probe asks.</summary>
[Collection(ServerCollection.Name)]
public sealed class HealthCommandTests
{
    private readonly ServerFixture _server;

    public HealthCommandTests(ServerFixture server) => _server = server;

    [Theory]
    [InlineData(null)]
    [InlineData("Setup")]
    [InlineData("keybroker.KeyBrokerService")]
    [InlineData("gop.config")]
    public void Every_service_name_answers_serving(string? service)
    {
        var r = service is null
            ? Gop.Run("health", "--server", _server.Address)
            : Gop.Run("health", "--server", _server.Address, service);

        Assert.True(r.ExitCode == 0, r + "\n" + _server.Log);
        Assert.Equal("SERVING", r.Stdout.Trim());
    }

    [Fact]
    public void An_unknown_service_is_exit_1_service_unknown()
    {
        var r = Gop.Run("health", "--server", _server.Address, "Setup2");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("SERVICE_UNKNOWN", r.Stdout.Trim());
        Assert.Contains("no health service named 'Setup2'", r.Stderr);
    }

    [Fact]
    public void A_server_that_does_not_answer_is_exit_1()
    {
        // Port 9 (discard) on loopback: nothing listens there in a test environment; refused at once.
        var r = Gop.Run("health", "--server", "127.0.0.1:9", "--timeout", "3");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.StartsWith("gop health: 127.0.0.1:9: Unavailable", r.Stderr);
    }

    [Fact]
    public void A_bad_timeout_is_exit_2_naming_the_option()
    {
        var r = Gop.Run("health", "--timeout", "soon");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--timeout", r.Stderr);
        Assert.Contains("'soon' is not a number of seconds", r.Stderr);
    }
}
