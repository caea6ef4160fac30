using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Launch;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary><c>gop client</c> and <c>gop simulate</c> with <c>--protocol keybroker</c> (simple-kbs's service) against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class KeyBrokerProtocolTests : IDisposable
{
    private readonly ServerFixture _server;
    private readonly TempDir _dir = new();

    public KeyBrokerProtocolTests(ServerFixture server) => _server = server;

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(PlatformKind.Sev, "cert_chain.cert")]
    [InlineData(PlatformKind.Csv, "cert_chain.cert")]
    [InlineData(PlatformKind.Sev, "full_chain.cert")]
    [InlineData(PlatformKind.Csv, "full_chain.cert")]
    public void Client_GetBundle_then_GetSecret_over_keybroker(PlatformKind kind, string chainFile)
    {
        var platform = _server.Platform(kind);
        string host = _server.PlatformDir(kind);
        string vmdir = System.IO.Path.Combine(_dir.Path, "vm");

        var bundle = Gop.Run("client", "GetBundle", "--protocol", "keybroker", "-k", System.IO.Path.Combine(host, "pdh.cert"),
            "-t", System.IO.Path.Combine(host, chainFile), _server.Address, vmdir);
        Assert.True(bundle.ExitCode == 0, bundle + "\n" + _server.Log);
        Assert.Equal("", bundle.Stderr);
        var fields = bundle.Stdout.TrimEnd('\n').Split(',');
        Assert.Equal($"{vmdir}/godh.txt,{vmdir}/launch_blob.txt,{fields[2]}\n", bundle.Stdout);
        Assert.True(Guid.TryParseExact(fields[2], "D", out _), fields[2]);

        var godh = Convert.FromBase64String(File.ReadAllText($"{vmdir}/godh.txt"));
        var blob = Convert.FromBase64String(File.ReadAllText($"{vmdir}/launch_blob.txt"));
        using var launch = platform.LaunchStart(godh, blob, 0);
        launch.UpdateData(File.ReadAllBytes(_server.Ovmf));
        var measurement = Convert.ToBase64String(launch.Measure());

        var secret = Gop.Run("client", "GetSecret", "--protocol", "keybroker", "-c", fields[2], "-i", ServerFixture.KeysetId, "-m", measurement,
            "--api-major", platform.Version.ApiMajor.ToString(), "--api-minor", platform.Version.ApiMinor.ToString(),
            "--build", platform.Version.BuildId.ToString(), "--fw-digest", Convert.ToBase64String(launch.LaunchDigest), _server.Address, vmdir);
        Assert.True(secret.ExitCode == 0, secret + "\n" + _server.Log);
        Assert.Equal("", secret.Stderr);
        var parts = secret.Stdout.TrimEnd('\n').Split(',');
        Assert.Equal($"{parts[0]},{parts[1]},8000\n", secret.Stdout);
        var entry = Assert.Single(launch.InjectSecret(Convert.FromBase64String(parts[0]), Convert.FromBase64String(parts[1])));
        Assert.Equal(KnownGuids.KeysetBundle, entry.Guid);
        Assert.Equal($$"""{"{{ServerFixture.KeyId}}": "{{ServerFixture.KeyValue}}"}""", Encoding.ASCII.GetString(entry.Data));

        // Single use: the same launch id again is refused, with the server's reason on stderr.
        var replay = Gop.Run("client", "GetSecret", "--protocol", "keybroker", "-c", fields[2], "-m", measurement,
            "--api-major", platform.Version.ApiMajor.ToString(), "--api-minor", platform.Version.ApiMinor.ToString(),
            "--build", platform.Version.BuildId.ToString(), _server.Address, vmdir);
        Assert.Equal(1, replay.ExitCode);
        Assert.Equal("GRPC Error: LAUNCH ID INVALID: no live session for this launch id (unknown, expired or already used)\n", replay.Stderr);
    }

    [Fact]
    public void Client_GetSecret_keybroker_needs_a_uuid_and_fw_digest_needs_keybroker()
    {
        var r = Gop.Run("client", "GetSecret", "--protocol", "keybroker", "-c", "9", _server.Address, _dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("-c: '9' is not a UUID launch id", r.Stderr);

        var setup = Gop.Run("client", "GetSecret", "-c", "9", "--fw-digest", Convert.ToBase64String(new byte[32]), _server.Address, _dir.Path);
        Assert.Equal(2, setup.ExitCode);
        Assert.Contains("--fw-digest", setup.Stderr);

        var unknown = Gop.Run("client", "GetSecret", "--protocol", "keybroker", "-c", Guid.NewGuid().ToString(), "-m", Convert.ToBase64String(new byte[48]),
            "--api-minor", "24", "--build", "15", _server.Address, _dir.Path);
        Assert.Equal(1, unknown.ExitCode);
        Assert.StartsWith("GRPC Error: LAUNCH ID INVALID", unknown.Stderr);
    }

    [Fact]
    public void Client_GetSecret_keybroker_forged_fw_digest_is_refused()
    {
        var host = _server.PlatformDir(PlatformKind.Sev);
        var bundle = Gop.Run("client", "GetBundle", "--protocol", "keybroker", "-k", System.IO.Path.Combine(host, "pdh.cert"),
            "-t", System.IO.Path.Combine(host, "cert_chain.cert"), _server.Address, _dir.Path);
        Assert.True(bundle.ExitCode == 0, bundle.ToString());
        var id = bundle.Stdout.TrimEnd('\n').Split(',')[2];
        var r = Gop.Run("client", "GetSecret", "--protocol", "keybroker", "-c", id, "-m", Convert.ToBase64String(new byte[48]),
            "--api-minor", "24", "--build", "15", "--fw-digest", Convert.ToBase64String(new byte[32]), _server.Address, _dir.Path);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("GRPC Error: FW DIGEST INVALID: FwDigest is not one of the keyset's allowed digests", r.Stderr);
    }

    [Theory]
    [InlineData("sev")]
    [InlineData("csv")]
    public void Simulate_whole_launch_over_keybroker(string platform)
    {
        var r = Gop.Run("simulate", "--protocol", "keybroker", "--server", _server.Address, "--platform", platform, "--ovmf", _server.Ovmf);
        Assert.True(r.ExitCode == 0, r + "\n" + _server.Log);
        Assert.Matches(@"bundle:    launch id [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}, GODH 2084 bytes", r.Stdout);
        Assert.Contains("(base64 text encoding)", r.Stdout);
        Assert.Contains($"e6f5a162-d67f-4750-a67c-5d065f2a9910 (keyset bundle, key ids: {ServerFixture.KeyId})", r.Stdout);
        Assert.Contains("result:    guest has 1 key", r.Stdout);
        Assert.DoesNotContain(ServerFixture.KeyValue, r.Stdout + r.Stderr);
    }

    [Fact]
    public void Simulate_other_image_over_keybroker_is_refused()
    {
        // The simulator sends its own (honest) launch digest as FwDigest: not an allowed digest, refused before the measurement.
        var r = Gop.Run("simulate", "--protocol", "keybroker", "--server", _server.Address, "--platform", "sev",
            "--ovmf", DemoImage.OtherOvmf);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("GRPC Error: FW DIGEST INVALID", r.Stderr);
    }
}
