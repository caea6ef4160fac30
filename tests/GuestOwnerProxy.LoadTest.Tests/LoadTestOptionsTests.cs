namespace GuestOwnerProxy.LoadTest.Tests;

/// <summary>The load test's command line: every refusal names its option (the program exits 2 with it).</summary>
public sealed class LoadTestOptionsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Refusal(params string[] args) => Assert.Throws<ArgumentException>(() => LoadTestOptions.Parse(args)).Message;

    [Fact]
    public void Target_is_the_documented_name_and_server_its_alias()
    {
        string image = _dir.Write("ovmf.fd", new byte[16]);
        var target = LoadTestOptions.Parse(["--target", "127.0.0.1:5000", "--ovmf", image]);
        var server = LoadTestOptions.Parse(["--server", "localhost:5001", "--ovmf", image]);
        Assert.Equal("127.0.0.1:5000", target.Target);
        Assert.Equal(5000, target.TargetPort);
        Assert.Equal("localhost:5001", server.Target);
        Assert.Null(LoadTestOptions.Parse([]).Target);
    }

    [Theory]
    [InlineData("10.0.0.1:50051", "--target: '10.0.0.1' is not a loopback address")]
    [InlineData("example.org:50051", "--target: 'example.org' is not a loopback address")]
    [InlineData("127.0.0.1", "--target: '127.0.0.1' is not HOST:PORT")]
    [InlineData("127.0.0.1:0", "--target: '127.0.0.1:0' is not HOST:PORT")]
    public void Target_must_be_a_loopback_host_and_port(string target, string expected) =>
        Assert.StartsWith(expected, Refusal("--target", target, "--mode", "refused"));

    [Fact]
    public void Launches_against_a_target_need_the_image_its_keyset_allows_but_refusals_do_not()
    {
        Assert.Contains("--ovmf", Refusal("--target", "127.0.0.1:5000"));
        var refused = LoadTestOptions.Parse(["--target", "127.0.0.1:5000", "--mode", "refused"]);
        Assert.Equal(LoadMode.Refused, refused.Mode);
        Assert.Equal(RefusalKind.Keyset, refused.Deny);
        Assert.Null(refused.OvmfFile);
    }

    [Fact]
    public void Server_pid_is_a_positive_number_and_only_with_a_target()
    {
        Assert.StartsWith("--server-pid applies with --target", Refusal("--server-pid", "42"));
        Assert.StartsWith("--server-pid: 'abc' is not a number", Refusal("--target", "127.0.0.1:5000", "--mode", "refused", "--server-pid", "abc"));
        Assert.StartsWith("--server-pid: '0' is not a number", Refusal("--target", "127.0.0.1:5000", "--mode", "refused", "--server-pid", "0"));
        Assert.Equal(42, LoadTestOptions.Parse(["--target", "127.0.0.1:5000", "--mode", "refused", "--server-pid", "42"]).ServerPid);
    }

    [Fact]
    public void Mode_and_deny_take_their_names_only()
    {
        Assert.StartsWith("--mode: 'refuse' is not launch, refused or store", Refusal("--mode", "refuse"));
        Assert.Equal(LoadMode.Store, LoadTestOptions.Parse(["--mode", "store"]).Mode);
        Assert.StartsWith("--deny: 'policy' is not keyset or connection", Refusal("--mode", "refused", "--deny", "policy"));
        Assert.StartsWith("--deny only applies with --mode refused", Refusal("--deny", "keyset"));
        Assert.Equal(RefusalKind.Connection, LoadTestOptions.Parse(["--mode", "refused", "--deny", "connection"]).Deny);
    }

    [Fact]
    public void Json_out_needs_a_file_in_an_existing_folder()
    {
        Assert.StartsWith("--json-out: folder", Refusal("--json-out", Path.Combine(_dir.Path, "missing", "result.json")));
        Assert.StartsWith("--json-out: ", Refusal("--json-out", _dir.Path));
        Assert.StartsWith("--json-out needs a value", Refusal("--json-out"));
        var options = LoadTestOptions.Parse(["--json-out", _dir.File("result.json"), "--json"]);
        Assert.Equal(_dir.File("result.json"), options.JsonOut);
        Assert.True(options.Json);
    }

    [Fact]
    public void Keys_and_store_belong_to_one_kind_of_server_each()
    {
        Assert.StartsWith("--keys only applies with --target", Refusal("--keys", "keys.json"));
        Assert.StartsWith("--store applies to the in-process server", Refusal("--target", "127.0.0.1:5000", "--mode", "refused", "--store", "redis"));
        Assert.StartsWith("--prepare-server writes a configuration and exits", Refusal("--prepare-server", _dir.File("server"), "--target", "127.0.0.1:5000", "--mode", "refused"));
    }
}
