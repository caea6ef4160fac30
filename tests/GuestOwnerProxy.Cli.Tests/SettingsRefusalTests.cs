using GuestOwnerProxy.Tests.Settings;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// <c>gop check-config</c> refuses exactly the settings the server refuses, with the server's own message: each
/// shared case (SettingsRefusals, also run against ServerHost in the server tests) is given to both the real
/// server (<c>gop</c>) and <c>gop check-config</c> with the same command line.
/// </summary>
public sealed class SettingsRefusalTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] Common()
    {
        var keysets = _dir.Write("keysets.json", """
            { "KEYSET-1": { "allowed_digests": ["a11cc9f3c6f3c0a7b6d5e4f30201a0b0c0d0e0f1021324354657687980a1b2c3"],
                            "allowed_keys": ["key_id1"], "allowed-policies": [0], "min-api-major": 0, "min-api-minor": 0,
                            "allowed-build-ids": [13] } }
            """);
        var keys = _dir.Write("keys.json", """{ "key_id1": "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=" }""");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        SettingsRefusals.Prepare(_dir.Path);
        return ["-c", keysets, "-k", keys, "-p", "0", "--GuestOwnerProxy:ListenAddress=127.0.0.1", $"--GuestOwnerProxy:AuditLog={_dir.File("audit.jsonl")}"];
    }

    [Theory]
    [MemberData(nameof(SettingsRefusals.Names), MemberType = typeof(SettingsRefusals))]
    public void CheckConfig_refuses_what_the_server_refuses_with_the_same_message(string name)
    {
        var refusal = SettingsRefusals.Named(name);
        string[] args = [.. Common(), .. refusal.Arguments(_dir.Path)];

        var check = Gop.Run(["check-config", .. args]);
        Assert.True(check.ExitCode == 2, check.ToString());
        Assert.DoesNotContain("configuration valid", check.Stdout);
        const string checkPrefix = "error: gop check-config: ";
        Assert.StartsWith(checkPrefix + refusal.Expected(_dir.Path), check.Stderr);
        Assert.Single(check.Stderr.TrimEnd().Split('\n'));

        var server = Gop.Run(args);
        Assert.True(server.ExitCode == 2, server.ToString());
        Assert.Equal("gop: " + check.Stderr.TrimEnd()[checkPrefix.Length..], server.Stderr.TrimEnd());
        Assert.False(File.Exists(_dir.File("audit.jsonl")));
    }

    [Fact]
    public void CheckConfig_accepts_what_the_server_accepts()
    {
        var r = Gop.Run(["check-config", .. Common(), "--GuestOwnerProxy:Sessions:Ttl=00:00:30", "--GuestOwnerProxy:Urls:0=http://127.0.0.1:0"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith("configuration valid: ", r.Stdout);
        // The audit log's directory was probed, not written to.
        Assert.Empty(Directory.GetFiles(_dir.Path, "*audit*"));
    }

    [Fact]
    public void CheckConfig_settings_file_and_environment_variables_are_read_as_by_the_server()
    {
        var common = Common();
        var overrides = _dir.Write("override.json", """{ "GuestOwnerProxy": { "Sessions": { "MaxSessions": 0 } } }""");
        var fromFile = Gop.Run(["check-config", .. common, "--appsettings", overrides]);
        Assert.Equal(2, fromFile.ExitCode);
        Assert.Equal("error: gop check-config: invalid settings: GuestOwnerProxy:Sessions:MaxSessions must be at least 1", fromFile.Stderr.TrimEnd());

        // Environment variables are over the settings files, the command line over both (as for the server).
        var fromEnvironment = Gop.RunWithEnvironment(
            new Dictionary<string, string?> { ["GuestOwnerProxy__Sessions__MaxMeasurementAttempts"] = "0" }, ["check-config", .. common]);
        Assert.Equal(2, fromEnvironment.ExitCode);
        Assert.Contains("GuestOwnerProxy:Sessions:MaxMeasurementAttempts must be at least 1", fromEnvironment.Stderr);
        var commandLineWins = Gop.RunWithEnvironment(
            new Dictionary<string, string?> { ["GuestOwnerProxy__Sessions__MaxMeasurementAttempts"] = "0" },
            ["check-config", .. common, "--GuestOwnerProxy:Sessions:MaxMeasurementAttempts=2"]);
        Assert.True(commandLineWins.ExitCode == 0, commandLineWins.ToString());
    }

    [Fact]
    public void CheckConfig_argument_that_is_not_a_setting_is_a_usage_error()
    {
        var r = Gop.Run(["check-config", .. Common(), "Sessions:Ttl=0"]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: gop check-config: unexpected argument 'Sessions:Ttl=0'", r.Stderr);
    }
}
