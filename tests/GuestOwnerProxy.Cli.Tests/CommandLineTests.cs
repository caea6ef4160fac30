namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// The command line itself (System.CommandLine): version, unknown options and commands with suggestions,
/// help on groups and through <c>gop help</c>, and the bash completion script. Every run is bounded and in
/// an empty directory, so a command line that wrongly starts the server fails fast (no keysets.json) or
/// times out instead of hanging the test run.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _emptyDirectory = Directory.CreateTempSubdirectory("gop-cli-").FullName;

    [Theory]
    [InlineData("--version")]
    [InlineData("-V")]
    public void Version_prints_the_version_and_exits_0(string flag)
    {
        var r = Run(flag);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Matches(@"^\d+\.\d+\.\d+\S*\n$", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("-x")]
    [InlineData("-p", "50099", "--bogus")]
    [InlineData("serve", "-x")]
    public void Unknown_option_exits_2_naming_it_without_starting_the_server(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains($"unknown option '{args[^1]}'", r.Stderr);
        Assert.DoesNotContain("listening", r.Stdout + r.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("starting on", r.Stdout + r.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("sealing-key", "new", "--force")]
    [InlineData("health", "--bogus")]
    [InlineData("health", "-x")]
    [InlineData("cert", "show", "--jsn")]
    [InlineData("vmsa", "show", "--jsno")]
    public void A_mistyped_option_in_an_argument_slot_is_an_unknown_option_not_a_value(params string[] args)
    {
        // Without the check these wrote a key file named "--force", asked the server for a health service "--bogus"
        // (exit 1, read by a probe as "unhealthy") or looked for a file named "--jsn".
        var r = Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains($"unknown option '{args[^1]}'", r.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(_emptyDirectory));
        if (args[^1] == "--jsn")
            Assert.Contains("did you mean '--json'", r.Stderr);
    }

    [Fact]
    public void After_a_double_dash_an_argument_may_start_with_a_dash()
    {
        var r = Run("sealing-key", "new", "--", "-odd.key");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(_emptyDirectory, "-odd.key")));
    }

    [Fact]
    public void Server_settings_are_not_unknown_options()
    {
        // They reach the server, which fails on the missing keysets.json of the empty directory: exit 2 from
        // the server (its message names the file), not the command line's "unknown option".
        var r = Run("-p", "0", "--environment", "Production", "--GuestOwnerProxy:AuditLog=", "--GuestOwnerProxy:ListenAddress", "127.0.0.1");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.DoesNotContain("unknown option", r.Stderr);
        Assert.Contains("keysets.json", r.Stderr);
    }

    [Fact]
    public void Unknown_command_with_a_close_match_suggests_it()
    {
        var r = Run("digset");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("unknown command 'digset'", r.Stderr);
        Assert.Contains("did you mean 'digest'", r.Stderr);

        var option = Run("digest", "--platfrom", "sev");
        Assert.Equal(2, option.ExitCode);
        Assert.Contains("unknown option '--platfrom'", option.Stderr);
        Assert.Contains("did you mean '--platform'", option.Stderr);

        var subcommand = Run("cert", "shwo", "x");
        Assert.Equal(2, subcommand.ExitCode);
        Assert.Contains("unknown subcommand 'shwo'", subcommand.Stderr);
        Assert.Contains("did you mean 'show'", subcommand.Stderr);
    }

    [Fact]
    public void Group_help_lists_its_subcommands()
    {
        var r = Run("cert", "--help");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("", r.Stderr);
        Assert.Contains("cert show", r.Stdout);
        Assert.Contains("cert verify", r.Stdout);

        var missing = Run("cert");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("missing subcommand (one of: show, verify)", missing.Stderr);
    }

    [Theory]
    [InlineData("cert", "show", "--help")]
    [InlineData("help", "cert", "show")]
    public void Subcommand_help_shows_its_description_and_options(params string[] args)
    {
        var r = Run(args);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Describes each certificate in FILE", r.Stdout);
        Assert.Contains("--json", r.Stdout);
    }

    [Fact]
    public void Help_serve_shows_the_server_flags()
    {
        var r = Run("help", "serve");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("gop [serve] [-p PORT]", r.Stdout);
        Assert.Contains("-p, --port PORT", r.Stdout);
        Assert.Contains("-u, --unsafe", r.Stdout);

        var unknown = Run("help", "frobnicate");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("unknown command 'frobnicate'", unknown.Stderr);
    }

    [Fact]
    public void Completion_bash_prints_a_script_that_uses_the_suggest_directive()
    {
        var r = Run("completion", "bash");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("complete -o default -F _gop_complete gop", r.Stdout);
        Assert.Contains("[suggest:${COMP_POINT}]", r.Stdout);

        // What the script asks for at the cursor after "gop cert ".
        var suggestions = Run("[suggest:9]", "gop cert ");
        Assert.True(suggestions.ExitCode == 0, suggestions.ToString());
        Assert.Contains("show", suggestions.Stdout.Split('\n'));
        Assert.Contains("verify", suggestions.Stdout.Split('\n'));

        var platforms = Run("[suggest:22]", "gop digest --platform ");
        Assert.Contains("csv", platforms.Stdout.Split('\n'));
        Assert.Contains("sev", platforms.Stdout.Split('\n'));
    }

    // Gop.RunIn is bounded (kills the process tree and fails the test), so a command that starts the server cannot hang the run.
    private GopResult Run(params string[] args) => Gop.RunIn(_emptyDirectory, args);

    public void Dispose()
    {
        try { Directory.Delete(_emptyDirectory, recursive: true); } catch (IOException) { }
    }
}
