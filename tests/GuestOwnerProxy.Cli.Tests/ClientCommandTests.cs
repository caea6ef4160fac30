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

    [Fact]
    public void GetBundle_DefaultFileLocations()
    {
        var r = Gop.Run("client", "GetBundle", "--platform", "csv", _server.Address, _dir.Path);
        if (File.Exists("/opt/csv/pdh.cert"))
            return; // a real host: nothing to assert about its files
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("/opt/csv/pdh.cert", r.Stderr);

        var sev = Gop.Run("client", "GetBundle", _server.Address, _dir.Path);
        if (!File.Exists("/opt/sev/pdh.cert"))
            Assert.Contains("/opt/sev/pdh.cert", sev.Stderr);
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
