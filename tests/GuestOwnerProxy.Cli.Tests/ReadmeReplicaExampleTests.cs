using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using GuestOwnerProxy.Server.Tests.Infrastructure;

namespace GuestOwnerProxy.Cli.Tests;

/// <summary>
/// The README's two-replica example ("Several replicas and restarts"), run by bash as an operator pastes it: its own
/// redis-server, two `gop serve` replicas on one Redis, the readiness loop, and `gop simulate` against either replica.
/// Only what must differ on a shared machine is replaced: the ports (free ones instead of 50051/50052, 9464/9465 and
/// 6379), the sealing key's path (a temp folder), the build step and the binary (the build under test), and the audit
/// log (an environment variable, a settings source the example does not use).
/// </summary>
public sealed class ReadmeReplicaExampleTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The first ```sh block after the section's heading.</summary>
    private static string Example()
    {
        string readme = File.ReadAllText(Path.Combine(QuickStartTests.RepoRoot, "README.md"));
        int section = readme.IndexOf("### Several replicas and restarts", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no section \"Several replicas and restarts\"");
        var block = Regex.Match(readme[section..], "```sh\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "the section has no sh block");
        return block.Groups[1].Value;
    }

    /// <summary>
    /// A loopback port P with P+1 and P+2 free too (the example numbers its replicas from a base), below Linux's
    /// ephemeral range (32768 and up) so no outgoing connection takes it meanwhile, and apart from the bases in use.
    /// </summary>
    private static int FreeBase(params int[] taken)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int port = Random.Shared.Next(10000, 32000);
            if (taken.All(t => Math.Abs(t - port) > 3) && Enumerable.Range(port, 3).All(Free))
                return port;
        }
        throw new InvalidOperationException("no three consecutive free loopback ports");
    }

    private static bool Free(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [RedisFact]
    public void The_two_replica_example_plays_a_launch_against_either_replica()
    {
        if (RedisServer.Binary is null)
        {
            Assert.False(Environment.GetEnvironmentVariable("GOP_REQUIRE_REDIS") == "1", "GOP_REQUIRE_REDIS=1 but no redis-server binary: " + RedisServer.SkipReason);
            return;
        }
        string example = Example();
        // What the example must keep saying (the test would otherwise pass on a rewritten block).
        foreach (var part in new[] { "gop() {", "gop sealing-key new /tmp/gop-sealing-1.key", "redis-server --port 6379", "50050 + replica",
                     "9463 + replica", "Sessions:Store=redis", "until gop health", "simulate --server localhost:50051", "simulate --server localhost:50052" })
            Assert.Contains(part, example);

        int grpc = FreeBase();
        int metrics = FreeBase(grpc);
        int redis = FreeBase(grpc, metrics);
        // Whole numbers only, in one pass: a replacement never meets another pattern.
        var ports = new Dictionary<string, string>
        {
            ["50050"] = grpc.ToString(), ["50051"] = (grpc + 1).ToString(), ["50052"] = (grpc + 2).ToString(),
            ["9463"] = metrics.ToString(), ["6379"] = redis.ToString(),
        };
        string key = _dir.File("sealing-1.key");
        var script = new StringBuilder()
            .AppendLine("set -e")
            // The example leaves its servers running in the background, as a terminal would; the test stops them. A
            // backgrounded `gop` is a subshell running dotnet: its child is stopped first, or it would outlive the job (set +e:
            // a job already gone must not end the trap under the example's set -e).
            .AppendLine("trap 'set +e; for job in $(jobs -p); do pkill -TERM -P $job; kill $job; done 2>/dev/null; wait' EXIT");
        foreach (var line in example.Split('\n'))
        {
            if (line.StartsWith("dotnet build ", StringComparison.Ordinal))
                continue; // the build under test is already there
            string replaced = line.StartsWith("gop() {", StringComparison.Ordinal)
                ? $"gop() {{ dotnet '{Gop.Dll}' \"$@\"; }}"
                : Regex.Replace(line, @"\b(50050|50051|50052|9463|6379)\b", m => ports[m.Value])
                    .Replace("redis-server ", $"'{RedisServer.Binary}' ").Replace("/tmp/gop-sealing-1.key", key);
            script.AppendLine(replaced);
        }
        // A session of its own (setsid): whatever the block leaves behind is killed with its process group at the end.
        var info = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = QuickStartTests.RepoRoot };
        info.ArgumentList.Add("bash");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script.ToString());
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["GuestOwnerProxy__AuditLog"] = _dir.File("audit.jsonl");
        using var process = Process.Start(info)!;
        GopResult run;
        try
        {
            run = Gop.Collect(process, "the README's two-replica example", TimeSpan.FromSeconds(150));
        }
        finally
        {
            // The trap in the script stops the servers; this catches anything it missed (a timeout, a trap cut short).
            using var kill = Process.Start("kill", ["-KILL", "--", $"-{process.Id}"]);
            kill.WaitForExit();
        }

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(2, Regex.Matches(run.Stdout, "guest has 1 key").Count);
        // Both replicas kept their sessions in Redis (their start-up lines, on the example's terminal), and each launch's
        // release is in the audit log both append to.
        Assert.Equal(2, Regex.Matches(run.Stdout, @"Session store: Redis \(key prefix gop:\)").Count);
        var released = File.ReadAllLines(_dir.File("audit.jsonl")).Where(l => l.Contains("\"decision\":\"released\"")).ToList();
        Assert.Equal(2, released.Count);
    }
}
