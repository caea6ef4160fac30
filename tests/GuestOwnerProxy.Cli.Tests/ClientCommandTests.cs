using System.Text;
using GuestOwnerProxy.Crypto.Common;
using GuestOwnerProxy.Crypto.Csv;
using GuestOwnerProxy.Crypto.Launch;
using GuestOwnerProxy.Crypto.Sev;
using GuestOwnerProxy.Platform;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// <c>gop client</c> as kata runs gop-client.py, against the real server: exact stdout line, files byte
/// for byte, both bundle encodings (CSV base64 text, SEV raw), and the GRPC Error path.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ClientCommandTests : IDisposable
{
    private readonly ServerFixture _server;
    private readonly TempDir _dir = new();

    public ClientCommandTests(ServerFixture server) => _server = server;

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(PlatformKind.Sev)]
    [InlineData(PlatformKind.Csv)]
    public void GetBundle_ThenGetSecret_LikeKata(PlatformKind kind)
    {
        var platform = _server.Platform(kind);
        string host = _server.PlatformDir(kind);
        string vmdir = System.IO.Path.Combine(_dir.Path, "vm", "sandbox");   // created by the client, as the script does

        var bundle = Gop.Run("client", "GetBundle", "-k", System.IO.Path.Combine(host, "pdh.cert"), "-t", System.IO.Path.Combine(host, "cert_chain.cert"),
            _server.Address, vmdir);
        Assert.True(bundle.ExitCode == 0, bundle + "\n" + _server.Log);
        Assert.Equal("", bundle.Stderr);
        var fields = bundle.Stdout.TrimEnd('\n').Split(',');
        Assert.Equal($"{vmdir}/godh.txt,{vmdir}/launch_blob.txt,{fields[2]}\n", bundle.Stdout);
        Assert.True(int.TryParse(fields[2], out _));

        // Files: base64 text without newline, decoding to the raw GODH and session blob. The CSV server sends
        // base64 text, which must be written unchanged (re-encoding it would decode to text, not a certificate).
        var godhText = File.ReadAllBytes($"{vmdir}/godh.txt");
        var blobText = File.ReadAllBytes($"{vmdir}/launch_blob.txt");
        Assert.DoesNotContain((byte)'\n', godhText);
        var godh = Convert.FromBase64String(Encoding.ASCII.GetString(godhText));
        var blob = Convert.FromBase64String(Encoding.ASCII.GetString(blobText));
        Assert.Equal(2084, godh.Length);
        Assert.Equal(Encoding.ASCII.GetBytes(Convert.ToBase64String(godh)), godhText);
        Assert.Equal(Encoding.ASCII.GetBytes(Convert.ToBase64String(blob)), blobText);
        if (kind == PlatformKind.Csv)
        {
            Assert.True(CsvCertificate.LooksLikeCsv(godh));
            Assert.Equal(772, blob.Length);
        }
        else
        {
            Assert.True(SevCertificate.IsSevCertificate(godh));
            Assert.Equal(128, blob.Length);
        }

        // The simulated firmware launches with what QEMU would read from those files.
        using var launch = platform.LaunchStart(godh, blob, 0);
        launch.UpdateData(File.ReadAllBytes(_server.Ovmf));
        var measurement = Convert.ToBase64String(launch.Measure());

        var secret = Gop.Run("client", "GetSecret", "-c", fields[2], "-i", ServerFixture.KeysetId, "-m", measurement,
            "--api-major", platform.Version.ApiMajor.ToString(), "--api-minor", platform.Version.ApiMinor.ToString(),
            "--build", platform.Version.BuildId.ToString(), _server.Address, vmdir);
        Assert.True(secret.ExitCode == 0, secret + "\n" + _server.Log);
        Assert.Equal("", secret.Stderr);
        var parts = secret.Stdout.TrimEnd('\n').Split(',');
        Assert.Equal(3, parts.Length);
        Assert.Equal($"{parts[0]},{parts[1]},8000\n", secret.Stdout);
        Assert.Equal(Encoding.ASCII.GetBytes(parts[0]), File.ReadAllBytes($"{vmdir}/secret_header.txt"));
        Assert.Equal(Encoding.ASCII.GetBytes(parts[1]), File.ReadAllBytes($"{vmdir}/secret_data.txt"));

        var entries = launch.InjectSecret(Convert.FromBase64String(parts[0]), Convert.FromBase64String(parts[1]));
        var entry = Assert.Single(entries);
        Assert.Equal(KnownGuids.KeysetBundle, entry.Guid);
        Assert.Contains(ServerFixture.KeyValue, Encoding.UTF8.GetString(entry.Data));
    }

    [Fact]
    public void GetSecret_WrongMeasurement_GrpcError_Exit1_NothingOnStdout()
    {
        var (connection, vmdir) = Bundle(PlatformKind.Sev);
        var r = Gop.Run("client", "GetSecret", "-c", connection, "-i", ServerFixture.KeysetId, "-m", Convert.ToBase64String(new byte[48]),
            "--api-minor", "24", "--build", "15", _server.Address, vmdir);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Equal("GRPC Error: MEASUREMENT INVALID\n", r.Stderr);
        Assert.False(File.Exists($"{vmdir}/secret_header.txt"));
    }

    [Fact]
    public void GetSecret_Defaults_AreTheScriptConstants()
    {
        // Build id 13 (hw_build_id) is not allowed by the keyset: the server says so.
        var (connection, vmdir) = Bundle(PlatformKind.Sev);
        var r = Gop.Run("client", "GetSecret", "-c", connection, "-m", Convert.ToBase64String(new byte[48]), _server.Address, vmdir);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("GRPC Error: BUILD-ID INVALID\n", r.Stderr);

        var unknown = Gop.Run("client", "GetSecret", "-c", connection, "-i", "NO-SUCH-KEYSET", _server.Address, vmdir);
        Assert.Equal("GRPC Error: KEYSET INVALID\n", unknown.Stderr);
    }

    [Fact]
    public void GetBundle_MissingPdh_Exit2_NamesFile()
    {
        var missing = _dir.File("pdh.cert");
        var r = Gop.Run("client", "GetBundle", "-k", missing, "-t", System.IO.Path.Combine(_server.PlatformDir(PlatformKind.Sev), "cert_chain.cert"),
            _server.Address, _dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains($"Failed to open {missing}", r.Stderr);
    }

    /// <summary>A fake root for /opt/sev and /opt/csv (GOP_CLIENT_ROOT), and no client config file.</summary>
    private Dictionary<string, string?> ProbeRoot(string root, string? config = "") => new()
    {
        ["GOP_CLIENT_ROOT"] = root,
        ["GOP_CLIENT_CONFIG"] = config,
        ["GOP_API_MAJOR"] = null,
        ["GOP_API_MINOR"] = null,
        ["GOP_BUILD_ID"] = null,
    };

    private string HostWith(params PlatformKind[] kinds)
    {
        string root = System.IO.Path.Combine(_dir.Path, "host-" + Guid.NewGuid().ToString("n"));
        foreach (var kind in kinds)
        {
            var opt = System.IO.Path.Combine(root, "opt", kind == PlatformKind.Csv ? "csv" : "sev");
            Directory.CreateDirectory(opt);
            foreach (var file in new[] { "pdh.cert", "cert_chain.cert" })
                File.Copy(System.IO.Path.Combine(_server.PlatformDir(kind), file), System.IO.Path.Combine(opt, file));
        }
        Directory.CreateDirectory(root);
        return root;
    }

    private static byte[] Godh(string vmdir) => Convert.FromBase64String(File.ReadAllText($"{vmdir}/godh.txt"));

    [Fact]
    public void GetBundle_NoPlatformFiles_Exit2_NamesBothLocations()
    {
        var root = HostWith();
        var r = Gop.RunWithEnvironment(ProbeRoot(root), "client", "GetBundle", _server.Address, _dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains($"{root}/opt/sev/pdh.cert", r.Stderr);
        Assert.Contains($"{root}/opt/csv/pdh.cert", r.Stderr);
        Assert.StartsWith("error: Failed to open ", r.Stderr);
    }

    [Fact]
    public void GetBundle_ProbesSevThenCsv_AndPlatformForcesOne()
    {
        // A Hygon host (only /opt/csv), as kata's CSV fork calls it: GetBundle SERVER PATH, nothing else.
        var csvOnly = HostWith(PlatformKind.Csv);
        var vm = System.IO.Path.Combine(_dir.Path, "vm-csv");
        var r = Gop.RunWithEnvironment(ProbeRoot(csvOnly), "client", "GetBundle", _server.Address, vm);
        Assert.True(r.ExitCode == 0, r + "\n" + _server.Log);
        Assert.True(CsvCertificate.LooksLikeCsv(Godh(vm)));

        // Both present: /opt/sev wins; --platform (or platform= in the client config) forces /opt/csv.
        var both = HostWith(PlatformKind.Sev, PlatformKind.Csv);
        var vmSev = System.IO.Path.Combine(_dir.Path, "vm-sev");
        Assert.Equal(0, Gop.RunWithEnvironment(ProbeRoot(both), "client", "GetBundle", _server.Address, vmSev).ExitCode);
        Assert.True(SevCertificate.IsSevCertificate(Godh(vmSev)));
        var vmForced = System.IO.Path.Combine(_dir.Path, "vm-forced");
        Assert.Equal(0, Gop.RunWithEnvironment(ProbeRoot(both), "client", "GetBundle", "--platform", "csv", _server.Address, vmForced).ExitCode);
        Assert.True(CsvCertificate.LooksLikeCsv(Godh(vmForced)));
        var config = _dir.Write("platform.conf", "# client config\nplatform = csv\n");
        var vmConfigured = System.IO.Path.Combine(_dir.Path, "vm-configured");
        Assert.Equal(0, Gop.RunWithEnvironment(ProbeRoot(both, config), "client", "GetBundle", _server.Address, vmConfigured).ExitCode);
        Assert.True(CsvCertificate.LooksLikeCsv(Godh(vmConfigured)));

        // --platform sev on a CSV-only host names the forced location.
        var forcedMissing = Gop.RunWithEnvironment(ProbeRoot(csvOnly), "client", "GetBundle", "--platform", "sev", _server.Address, vm);
        Assert.Equal(2, forcedMissing.ExitCode);
        Assert.Contains($"{csvOnly}/opt/sev/pdh.cert", forcedMissing.Stderr);
    }

    [Fact]
    public void GetSecret_ApiAndBuild_FromArgvThenEnvironmentThenConfigThenConstants()
    {
        // The CSV simulator is firmware 1.2 build 1600; kata passes only -c -i -m.
        var platform = _server.Csv;
        var root = HostWith(PlatformKind.Csv);
        var config = _dir.Write("client.conf", "api_major=1\napi_minor=2\nbuild_id=13\n");

        string Launch(out ISoftwareLaunch launch, out string vmdir)
        {
            vmdir = System.IO.Path.Combine(_dir.Path, "vm-" + Guid.NewGuid().ToString("n"));
            var bundle = Gop.RunWithEnvironment(ProbeRoot(root), "client", "GetBundle", _server.Address, vmdir);
            Assert.True(bundle.ExitCode == 0, bundle.ToString());
            launch = platform.LaunchStart(Godh(vmdir), Convert.FromBase64String(File.ReadAllText($"{vmdir}/launch_blob.txt")), 0);
            launch.UpdateData(File.ReadAllBytes(_server.Ovmf));
            return bundle.Stdout.TrimEnd('\n').Split(',')[2];
        }

        // Config file alone: build_id=13 is wrong for this firmware → the server refuses.
        var connection = Launch(out var launch1, out var vm1);
        string measurement1 = Convert.ToBase64String(launch1.Measure());
        var fromConfig = Gop.RunWithEnvironment(ProbeRoot(root, config), "client", "GetSecret", "-c", connection, "-i", ServerFixture.KeysetId,
            "-m", measurement1, _server.Address, vm1);
        Assert.Equal(1, fromConfig.ExitCode);
        Assert.Equal("GRPC Error: BUILD-ID INVALID\n", fromConfig.Stderr);

        // The environment beats the config file: build 1600 verifies (api 1.2 still from the file).
        var environment = ProbeRoot(root, config);
        environment["GOP_BUILD_ID"] = "1600";
        var fromEnvironment = Gop.RunWithEnvironment(environment, "client", "GetSecret", "-c", connection, "-i", ServerFixture.KeysetId,
            "-m", measurement1, _server.Address, vm1);
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment + "\n" + _server.Log);
        launch1.Dispose();

        // argv beats the environment.
        connection = Launch(out var launch2, out var vm2);
        string measurement2 = Convert.ToBase64String(launch2.Measure());
        var fromArgv = Gop.RunWithEnvironment(environment, "client", "GetSecret", "-c", connection, "-i", ServerFixture.KeysetId,
            "-m", measurement2, "--build", "13", _server.Address, vm2);
        Assert.Equal("GRPC Error: BUILD-ID INVALID\n", fromArgv.Stderr);
        launch2.Dispose();
    }

    [Fact]
    public void BothOperations_AcceptEachOthersFlags()
    {
        var host = _server.PlatformDir(PlatformKind.Sev);
        string[] shared = ["-k", System.IO.Path.Combine(host, "pdh.cert"), "-t", System.IO.Path.Combine(host, "cert_chain.cert"),
            "--platform", "sev", "-c", "1", "-i", ServerFixture.KeysetId, "-m", Convert.ToBase64String(new byte[48]),
            "--api-minor", "24", "--build", "15", "-p", "0"];
        var bundle = Gop.RunWithEnvironment(ProbeRoot(HostWith()), ["client", "GetBundle", .. shared, _server.Address, _dir.Path]);
        Assert.True(bundle.ExitCode == 0, bundle.ToString());
        var connection = bundle.Stdout.TrimEnd('\n').Split(',')[2];
        string[] secretArgs = ["client", "GetSecret", .. shared.Select(a => a == "1" ? connection : a), _server.Address, _dir.Path];
        var secret = Gop.RunWithEnvironment(ProbeRoot(HostWith()), secretArgs);
        Assert.Equal(1, secret.ExitCode);
        Assert.Equal("GRPC Error: MEASUREMENT INVALID\n", secret.Stderr);
    }

    [Theory]
    [InlineData("api_major 1\n", ":1: expected key=value")]
    [InlineData("# ok\nbuild=1600\n", ":2: unknown key 'build'")]
    [InlineData("build_id=lots\n", "build_id: 'lots' is not a 32-bit integer")]
    [InlineData("platform=tdx\n", "'tdx' is not a platform")]
    public void MalformedClientConfig_Exit2_NamesFileAndLine(string text, string expected)
    {
        var config = _dir.Write("bad-" + Guid.NewGuid().ToString("n") + ".conf", text);
        var r = Gop.RunWithEnvironment(ProbeRoot(HostWith(), config), "client", "GetSecret", "-c", "1", _server.Address, _dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(config, r.Stderr);
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public void GetBundle_BadChain_GrpcError()
    {
        var host = _server.PlatformDir(PlatformKind.Sev);
        var r = Gop.Run("client", "GetBundle", "-k", System.IO.Path.Combine(host, "pdh.cert"), "-t", System.IO.Path.Combine(host, "pdh.cert"),
            _server.Address, _dir.Path);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.StartsWith("GRPC Error: ", r.Stderr);
    }

    [Fact]
    public void ServerDown_GrpcError_Exit1()
    {
        var host = _server.PlatformDir(PlatformKind.Sev);
        var r = Gop.Run("client", "GetBundle", "-k", System.IO.Path.Combine(host, "pdh.cert"), "-t", System.IO.Path.Combine(host, "cert_chain.cert"),
            "127.0.0.1:1", _dir.Path);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("GRPC Error: ", r.Stderr);
    }

    [Fact]
    public void Usage_MissingPath_And_UnknownProtocol()
    {
        var r = Gop.Run("client", "GetBundle", _server.Address);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("missing argument PATH", r.Stderr);

        // keybroker is served now (KeyBrokerProtocolTests); anything else names the option and the choices.
        var k = Gop.Run("client", "GetBundle", "--protocol", "kbs", _server.Address, _dir.Path, "-k",
            System.IO.Path.Combine(_server.PlatformDir(PlatformKind.Sev), "pdh.cert"), "-t", System.IO.Path.Combine(_server.PlatformDir(PlatformKind.Sev), "cert_chain.cert"));
        Assert.Equal(2, k.ExitCode);
        Assert.Contains("--protocol: 'kbs' is not a protocol (setup, keybroker)", k.Stderr);
    }

    private (string Connection, string VmDir) Bundle(PlatformKind kind)
    {
        string host = _server.PlatformDir(kind);
        string vmdir = _dir.Path;
        var r = Gop.Run("client", "GetBundle", "-k", System.IO.Path.Combine(host, "pdh.cert"), "-t", System.IO.Path.Combine(host, "cert_chain.cert"),
            _server.Address, vmdir);
        Assert.True(r.ExitCode == 0, r.ToString());
        return (r.Stdout.TrimEnd('\n').Split(',')[2], vmdir);
    }
}
