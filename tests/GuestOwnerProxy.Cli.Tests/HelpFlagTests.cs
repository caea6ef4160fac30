namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// <c>gop -h</c> / <c>gop --help</c> start with '-', the server's marker, yet must print usage and exit
/// (as the Python server's optparse did) instead of starting a server.
/// </summary>
public sealed class HelpFlagTests : IDisposable
{
    // An empty working directory: if a help flag ever reaches the server again, it fails fast
    // (no keysets.json) instead of listening on localhost:50051.
    private readonly string _emptyDirectory = Directory.CreateTempSubdirectory("gop-help-").FullName;

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("serve", "--help")]
    [InlineData("-p", "50099", "-h")]
    [InlineData("-d", "--help")]
    public void Help_flag_in_a_server_invocation_prints_cli_and_server_usage_without_starting_the_server(params string[] args)
    {
        var r = RunWithTimeout(args);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.Stderr);
        // CLI part: the command list.
        Assert.Contains("usage: gop <command> [options]", r.Stdout);
        Assert.Contains("client GetBundle", r.Stdout);
        Assert.Contains("simulate", r.Stdout);
        // Server part: how to run it and its flags.
        Assert.Contains("gop [serve] [-p PORT]", r.Stdout);
        Assert.Contains("-p, --port PORT", r.Stdout);
        Assert.Contains("-u, --unsafe", r.Stdout);
        Assert.DoesNotContain("listening", r.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("starting on", r.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Help_with_a_topic_still_shows_that_commands_help()
    {
        var r = RunWithTimeout("--help", "digest");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("--cmdline-file", r.Stdout);
        Assert.DoesNotContain("-p, --port PORT", r.Stdout);
    }

    [Fact]
    public void Server_flags_without_help_still_reach_the_server()
    {
        // The server (not the CLI) answers: a bad port is its own usage error, exit 2 with its usage line.
        var r = RunWithTimeout("-p", "not-a-port");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("gop: option -p: 'not-a-port' is not a port number", r.Stderr);
        Assert.DoesNotContain("commands:", r.Stdout);
    }

    // Gop.RunIn is bounded (kills the process tree and fails the test), so a command that starts the server cannot hang the run.
    private GopResult RunWithTimeout(params string[] args) => Gop.RunIn(_emptyDirectory, args);

    public void Dispose()
    {
        try { Directory.Delete(_emptyDirectory, recursive: true); } catch (IOException) { }
    }
}
