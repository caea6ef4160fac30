namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// Issue 10 item 3 through the real executable: <c>gop check-config</c> exits 2 on an unknown keyset field or setting,
/// naming file or section, keyset and field and the closest known name, exactly where the server would refuse to start.
/// (Unknown settings on the command line are among the shared SettingsRefusals, run against check-config and the server.)
/// </summary>
public sealed class UnknownFieldCheckConfigTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private const string Keysets = """
        { "KEYSET-1": { "allowed_digests": ["a11cc9f3c6f3c0a7b6d5e4f30201a0b0c0d0e0f1021324354657687980a1b2c3"],
                        "allowed_keys": ["key_id1"], "allowed-policies": [0], "min-api-major": 0, "min-api-minor": 0,
                        "allowed-build-ids": [13] EXTRA } }
        """;

    private string[] Files(string extra = "")
    {
        var keysets = _dir.Write("keysets.json", Keysets.Replace("EXTRA", extra));
        var keys = _dir.Write("keys.json", """{ "key_id1": "RcHGava52DPvj1uoIk/NVDYlwxi0A6yyIZ8ilhEX3X4=" }""");
        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return ["-c", keysets, "-k", keys, $"--GuestOwnerProxy:AuditLog={_dir.File("audit.jsonl")}"];
    }

    [Fact]
    public void Keyset_typo_that_would_switch_chip_pinning_off_is_exit_2_with_the_suggestion()
    {
        var good = Gop.Run(["check-config", .. Files(", \"allowed-chips\": [\"00ff\"]")]);
        Assert.True(good.ExitCode == 0, good.ToString());

        var r = Gop.Run(["check-config", .. Files(", \"allowed_chips\": [\"00ff\"]")]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.DoesNotContain("configuration valid", r.Stdout);
        Assert.Equal(
            $"error: gop check-config: invalid configuration: {_dir.File("keysets.json")}: keyset 'KEYSET-1': unknown field \"allowed_chips\": did you mean 'allowed-chips'?",
            r.Stderr.TrimEnd());
    }

    [Fact]
    public void Image_field_typo_is_exit_2_naming_the_image()
    {
        _dir.Write("ovmf.fd", new byte[4096]);
        var r = Gop.Run(["check-config", .. Files(", \"allowed_images\": [ { \"name\": \"o\", \"ovmf\": \"ovmf.fd\", \"kernel-hashes\": false } ]")]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.EndsWith("keyset 'KEYSET-1': allowed_images[0]: unknown field \"kernel-hashes\": did you mean 'kernel_hashes'?", r.Stderr.TrimEnd());
    }

    [Fact]
    public void Settings_file_typo_names_the_file_and_the_setting()
    {
        var overrides = _dir.Write("override.json", """{ "GuestOwnerProxy": { "Trust": { "RootFile": ["hrk.cert"] } } }""");
        var r = Gop.Run(["check-config", .. Files(), "--appsettings", overrides]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Equal($"error: gop check-config: invalid settings: GuestOwnerProxy:Trust ({overrides}): unknown field \"RootFile\": did you mean 'RootFiles'?",
            r.Stderr.TrimEnd());
    }

    [Fact]
    public void Environment_variables_are_checked_inside_the_section_only()
    {
        // Settings compare case-insensitively, as .NET configuration does: a wrong case is not a typo.
        var outside = Gop.RunWithEnvironment(new Dictionary<string, string?>
        {
            ["Logging__LogLevel__Defualt"] = "Debug", // not ours
            ["GUESTOWNERPROXY__SESSIONS__MAXSESSIONS"] = "5",
        }, ["check-config", .. Files()]);
        Assert.True(outside.ExitCode == 0, outside.ToString());

        var inside = Gop.RunWithEnvironment(new Dictionary<string, string?> { ["GuestOwnerProxy__Sessions__Ttll"] = "00:01:00" }, ["check-config", .. Files()]);
        Assert.Equal(2, inside.ExitCode);
        Assert.Equal("error: gop check-config: invalid settings: GuestOwnerProxy:Sessions (environment variables): unknown field \"Ttll\": did you mean 'Ttl'?",
            inside.Stderr.TrimEnd());
    }
}
