using System.Diagnostics;
using Xunit.Abstractions;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// Issue 10 item 6: every file argument of every command passes the server loader's check (a regular file, within its
/// format's size). <c>gop cert show /dev/zero</c> used to grow to 4 GB and abort (exit 134), a FIFO hung for ever: now
/// each is exit 2 at once, naming the option and the path and saying what the path is. Runs the real executable with
/// its own bound (<see cref="Bound"/>) so a regression fails here instead of hanging the suite.
/// </summary>
public sealed class FileArgumentRefusalTests : IDisposable
{
    /// <summary>A hang guard only: a refusal takes a process start (a few hundred ms); the measured times are written to the test output.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly TempDir _dir = new();
    private readonly ITestOutputHelper _output;

    public FileArgumentRefusalTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _dir.Dispose();

    private static readonly string Zero64 = new('0', 64);
    // The development simulator's SEV export shipped in config/dev: a real chain without the published vectors.
    private static readonly string DevelopmentSevFullChain = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(DemoImage.Ovmf)!)!, "sev", "full_chain.cert");
    private static readonly string Zero32 = new('0', 32);
    private const string SecretGuid = "736869e5-84f0-4973-92ec-06879ce3da0b";

    /// <summary>A command whose option <c>Option</c> is given <c>path</c>; the other files are regular and valid enough to get there.</summary>
    private sealed record Case(string Option, Func<FileArgumentRefusalTests, string, string[]> Args, bool ClientWording = false);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["cert show FILE"] = new("FILE", (_, p) => ["cert", "show", p]),
        ["cert verify --signer"] = new("--signer", (t, p) => ["cert", "verify", "--signer", p, t.Regular("subject.cert")]),
        ["chain verify --pdh"] = new("--pdh", (_, p) => ["chain", "verify", "--pdh", p, "--chain", DevelopmentSevFullChain]),
        ["chain verify --chain"] = new("--chain", (_, p) => ["chain", "verify", "--chain", p]),
        ["chain verify --root"] = new("--root", (_, p) => ["chain", "verify", "--chain", DevelopmentSevFullChain, "--root", p]),
        ["chain verify --hsk-cek"] = new("--hsk-cek", (_, p) => ["chain", "verify", "--chain", DevelopmentSevFullChain, "--hsk-cek", p]),
        ["digest --ovmf"] = new("--ovmf", (_, p) => ["digest", "--platform", "sev", "--ovmf", p]),
        ["digest --kernel"] = new("--kernel", (t, p) => ["digest", "--platform", "sev", "--ovmf", t.Regular("ovmf.fd"), "--kernel", p]),
        ["digest --initrd"] = new("--initrd", (t, p) => ["digest", "--platform", "sev", "--ovmf", t.Regular("ovmf.fd"), "--kernel", t.Regular("vmlinuz"), "--initrd", p]),
        ["digest --cmdline-file"] = new("--cmdline-file", (t, p) => ["digest", "--platform", "sev", "--ovmf", t.Regular("ovmf.fd"), "--kernel", t.Regular("vmlinuz"), "--cmdline-file", p]),
        ["measure --tik"] = new("--tik", (_, p) => ["measure", "--platform", "sev", "--tik", "@" + p, "--api-major", "0", "--api-minor", "0",
            "--build", "0", "--policy", "0", "--digest", Zero64, "--mnonce", Zero32]),
        ["secret build --secret"] = new("--secret", (_, p) => ["secret", "build", "--platform", "sev", "--tek", Zero32, "--tik", Zero32,
            "--measurement", Convert.ToBase64String(new byte[32]), "--secret", $"{SecretGuid}:{p}"]),
        ["secret build --tek"] = new("--tek", (t, p) => ["secret", "build", "--platform", "sev", "--tek", "@" + p, "--tik", Zero32,
            "--measurement", Convert.ToBase64String(new byte[32]), "--secret", $"{SecretGuid}:{t.Regular("secret.txt")}"]),
        ["simulate --ovmf"] = new("--ovmf", (_, p) => ["simulate", "--server", "127.0.0.1:1", "--platform", "sev", "--ovmf", p]),
        ["client GetBundle -k"] = new("-k", (t, p) => ["client", "GetBundle", "-k", p, "-t", t.Regular("cert_chain.cert"), "127.0.0.1:1", t._dir.File("vm")], ClientWording: true),
        ["client GetBundle -t"] = new("-t", (t, p) => ["client", "GetBundle", "-k", t.Regular("pdh.cert"), "-t", p, "127.0.0.1:1", t._dir.File("vm")], ClientWording: true),
        ["check-config --appsettings"] = new("--appsettings", (_, p) => ["check-config", "--appsettings", p]),
    };

    public static IEnumerable<object[]> CaseNames => Cases.Keys.Select(k => new object[] { k });

    /// <summary>A small regular file: what the other options of a case point at (their content is never reached).</summary>
    private string Regular(string name) => File.Exists(_dir.File(name)) ? _dir.File(name) : _dir.Write(name, new byte[64]);

    private string Fifo()
    {
        var path = _dir.File("fifo");
        if (File.Exists(path))
            return path;
        // .NET has no mkfifo; the coreutils tool makes one (no Mono.Unix).
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        Assert.True(mkfifo.WaitForExit(10_000), "mkfifo did not finish");
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    /// <summary>Runs gop, killed at <see cref="Bound"/>: a FIFO that is opened would block in open() until a writer appears.</summary>
    private (GopResult Result, TimeSpan Elapsed) RunBounded(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var watch = Stopwatch.StartNew();
        using var process = environment is null ? Gop.Start(null, args) : StartWith(environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Bound))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"gop {string.Join(" ", args)} did not finish within {Bound.TotalSeconds} s (it opened the file?)");
        }
        watch.Stop();
        _output.WriteLine($"{watch.Elapsed.TotalMilliseconds:F0} ms: gop {string.Join(" ", args)}");
        return (new GopResult(process.ExitCode, stdout.Result, stderr.Result), watch.Elapsed);
    }

    private static Process StartWith(IReadOnlyDictionary<string, string> environment, string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Gop.Dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        return Process.Start(info)!;
    }

    private void AssertRefused(Case c, string path, string what, GopResult r)
    {
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Equal("", r.Stdout);
        string reason = $"'{path}' is {what}, not a regular file";
        // gop client keeps gop-client.py's first words ("Failed to open <file>"), then the same reason.
        string expected = c.ClientWording ? $"error: Failed to open {path} ({c.Option}): {reason}" : $": {c.Option}: {reason}";
        Assert.Contains(expected, r.Stderr);
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Character_device_is_refused_with_exit_2(string name)
    {
        var c = Cases[name];
        var (r, elapsed) = RunBounded(c.Args(this, "/dev/zero"));
        AssertRefused(c, "/dev/zero", "a character device", r);
        Assert.True(elapsed < Bound, $"{elapsed}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Fifo_is_refused_with_exit_2_without_being_opened(string name)
    {
        var c = Cases[name];
        var fifo = Fifo();
        var (r, elapsed) = RunBounded(c.Args(this, fifo));
        AssertRefused(c, fifo, "a FIFO", r);
        Assert.True(elapsed < Bound, $"{elapsed}");
    }

    [Fact]
    public void Directory_is_refused_with_exit_2()
    {
        var (r, _) = RunBounded(["cert", "show", _dir.Path]);
        AssertRefused(Cases["cert show FILE"], _dir.Path, "a directory", r);
    }

    [Fact]
    public void Client_config_that_is_a_device_is_refused()
    {
        var (r, _) = RunBounded(["client", "GetSecret", "-c", "1", "-m", Convert.ToBase64String(new byte[48]), "127.0.0.1:1", _dir.File("vm")],
            new Dictionary<string, string> { ["GOP_CLIENT_CONFIG"] = "/dev/zero" });
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Equal("error: gop client GetSecret: client config (GOP_CLIENT_CONFIG): '/dev/zero' is a character device, not a regular file", r.Stderr.TrimEnd());
    }

    [Fact]
    public void Certificate_file_larger_than_64_KiB_is_refused()
    {
        var big = _dir.Write("big.cert", new byte[64 * 1024 + 1]);
        var (r, _) = RunBounded(["cert", "show", big]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: gop cert show: FILE: '{big}' is 65537 bytes, larger than a certificate file can be (at most 65536)", r.Stderr.TrimEnd());

        var (client, _) = RunBounded(["client", "GetBundle", "-k", big, "-t", Regular("cert_chain.cert"), "127.0.0.1:1", _dir.File("vm")]);
        Assert.Equal(2, client.ExitCode);
        Assert.Contains($"Failed to open {big} (-k): '{big}' is 65537 bytes", client.Stderr);
    }

    [Fact]
    public void Key_file_larger_than_a_key_is_refused()
    {
        var tik = _dir.Write("tik.txt", new string('0', 257));
        var (r, _) = RunBounded(Cases["measure --tik"].Args(this, tik));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: gop measure: --tik: '{tik}' is 257 bytes, larger than a key file (16 raw bytes or hex text) can be (at most 256)", r.Stderr.TrimEnd());
    }

    [Fact]
    public void Secret_larger_than_the_secret_area_is_refused()
    {
        var secret = _dir.Write("secret.bin", new byte[3073]);
        var (r, _) = RunBounded(Cases["secret build --secret"].Args(this, secret));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: gop secret build: --secret: '{secret}' is 3073 bytes, larger than a secret for a 3072-byte secret area can be (at most 3072)",
            r.Stderr.TrimEnd());
    }

    [Fact]
    public void Boot_image_larger_than_1_GiB_is_refused_before_it_is_read()
    {
        // Sparse: no disk space is used, and the refusal must come from the size, not from reading 1 GiB.
        var ovmf = _dir.File("huge.fd");
        using (var file = new FileStream(ovmf, FileMode.CreateNew))
            file.SetLength((1L << 30) + 1);
        var (r, elapsed) = RunBounded(["digest", "--platform", "csv", "--ovmf", ovmf]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: gop digest: --ovmf: '{ovmf}' is 1073741825 bytes, larger than a firmware, kernel or initrd image can be (at most 1073741824)",
            r.Stderr.TrimEnd());
        Assert.True(elapsed < Bound, $"{elapsed}");
    }
}
