using System.Text;
using GuestOwnerProxy.Server.Configuration;
using GuestOwnerProxy.Server.Logging;
using GuestOwnerProxy.Tests.Logging;

namespace GuestOwnerProxy.Server.Tests.Logging;

/// <summary><see cref="AppendOnlyFile"/> on real files: rotation by truncation and by rename, two writers, a full file system.</summary>
public sealed class AppendOnlyFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gop-append-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A 100-byte line (newline included) numbered <paramref name="n"/>.</summary>
    private static byte[] Line(int n) => Encoding.ASCII.GetBytes($"{{\"n\":{n:D6}}}".PadRight(99, ' ') + "\n");

    private static string[] Lines(string path) => File.ReadAllText(path).Split('\n')[..^1];

    /// <summary>What logrotate's copytruncate does after copying: truncate in place, the writer keeps its descriptor.</summary>
    private static void Truncate(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        file.SetLength(0);
    }

    [Fact]
    public void After_a_copytruncate_records_go_to_the_new_end_without_a_hole()
    {
        var path = Path.Combine(_dir, "audit.jsonl");
        using var file = new AppendOnlyFile(path, FileSyncPolicy.None);
        for (int i = 0; i < 10; i++)
            file.Append(Line(i));
        File.Copy(path, path + ".1");
        Truncate(path);
        for (int i = 10; i < 15; i++)
            file.Append(Line(i));

        var bytes = File.ReadAllBytes(path);
        Assert.DoesNotContain((byte)0, bytes);
        Assert.Equal(5 * 100, bytes.Length);
        Assert.Equal(10, Lines(path + ".1").Length);
    }

    [Fact]
    public void Records_that_need_not_wait_for_the_disk_are_in_the_file_at_once_and_follow_a_rename()
    {
        var path = Path.Combine(_dir, "audit.jsonl");
        using (var file = new AppendOnlyFile(path, FileSyncPolicy.EveryRecord))
        {
            for (int i = 0; i < 50; i++)
                file.Append(Line(i), waitForDisk: i % 10 == 9);
            // Written by the append itself (one write call): readable before any flush.
            Assert.Equal(50, Lines(path).Length);
            File.Move(path, path + ".1");
            file.Reopen();
            for (int i = 50; i < 80; i++)
                file.Append(Line(i), waitForDisk: false);
            Assert.Equal(30, Lines(path).Length);
        }
        Assert.Equal(Enumerable.Range(0, 50).Select(i => Encoding.ASCII.GetString(Line(i)).TrimEnd('\n')), Lines(path + ".1"));
        Assert.Equal(Enumerable.Range(50, 30).Select(i => Encoding.ASCII.GetString(Line(i)).TrimEnd('\n')), Lines(path));
    }

    [Fact]
    public void Concurrent_records_that_wait_for_the_disk_share_flushes_and_all_arrive()
    {
        var path = Path.Combine(_dir, "audit.jsonl");
        using (var file = new AppendOnlyFile(path, FileSyncPolicy.EveryRecord))
        {
            Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => file.Append(Line(i), waitForDisk: i % 3 != 0));
        }
        var lines = Lines(path);
        Assert.Equal(400, lines.Length);
        Assert.Equal(Enumerable.Range(0, 400).Select(i => Encoding.ASCII.GetString(Line(i)).TrimEnd('\n')).Order(), lines.Order());
    }

    [Fact]
    public void FileMode_Append_is_what_leaves_the_hole()
    {
        // The reason for the class: .NET's append mode writes at its own offset, so after a truncation the next
        // write leaves the old length as NUL bytes in front of it.
        var path = Path.Combine(_dir, "dotnet.jsonl");
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(Line(0));
        stream.Flush();
        Truncate(path);
        stream.Write(Line(1));
        stream.Flush();
        Assert.Contains((byte)0, File.ReadAllBytes(path));
    }

    [Fact]
    public void Two_writers_on_one_path_keep_every_record()
    {
        var path = Path.Combine(_dir, "shared.jsonl");
        using var first = new AppendOnlyFile(path, FileSyncPolicy.None);
        using var second = new AppendOnlyFile(path, FileSyncPolicy.None);
        Parallel.Invoke(
            () => { for (int i = 0; i < 500; i++) first.Append(Line(i)); },
            () => { for (int i = 500; i < 1000; i++) second.Append(Line(i)); });

        var lines = Lines(path);
        Assert.Equal(1000, lines.Length);
        Assert.All(lines, l => Assert.Equal(99, l.Length));
        Assert.Equal(Enumerable.Range(0, 1000), lines.Select(l => int.Parse(l[5..11])).Order());
    }

    [Fact]
    public void A_renamed_or_deleted_file_is_noticed_and_created_again()
    {
        var path = Path.Combine(_dir, "audit.jsonl");
        using var file = new AppendOnlyFile(path, FileSyncPolicy.EveryRecord);
        file.Append(Line(0));
        Assert.False(file.ReopenIfReplaced());

        File.Move(path, path + ".1");
        file.Append(Line(1)); // still the open (renamed) file, as with logrotate's create style before the HUP
        Assert.True(file.ReopenIfReplaced());
        file.Append(Line(2));
        Assert.Equal(2, Lines(path + ".1").Length);
        Assert.Single(Lines(path));

        File.Delete(path);
        Assert.True(file.ReopenIfReplaced());
        file.Append(Line(3));
        Assert.Equal(Line(3), File.ReadAllBytes(path));

        // Reopen (SIGHUP) also works when nothing moved.
        file.Reopen();
        file.Append(Line(4));
        Assert.Equal(2, Lines(path).Length);
    }

    [Fact]
    public void A_file_that_cannot_be_opened_is_an_IOException_naming_it()
    {
        var path = Path.Combine(_dir, "not-a-dir");
        File.WriteAllText(path, "x");
        var ex = Assert.ThrowsAny<IOException>(() => new AppendOnlyFile(Path.Combine(path, "audit.jsonl"), FileSyncPolicy.None));
        Assert.Contains("not-a-dir", ex.Message);
    }

    [TmpfsFact]
    public void A_full_file_system_leaves_no_partial_line()
    {
        // One 4 KiB page: 40 lines of 100 bytes fit, the 41st gets 96 bytes written (a short write) and is rolled back.
        using var tmpfs = new TmpfsMount(4);
        var path = tmpfs.File("audit.jsonl");
        using var file = new AppendOnlyFile(path, FileSyncPolicy.EveryRecord);
        int n = 0;
        IOException? failure = null;
        while (failure is null && n < 100)
        {
            try
            {
                file.Append(Line(n));
                n++;
            }
            catch (IOException ex)
            {
                failure = ex;
            }
        }
        Assert.NotNull(failure);
        Assert.Equal(40, n);
        Assert.Contains("short write (96 of 100 bytes", failure.Message);
        Assert.Contains("the partial record was removed", failure.Message);
        Assert.Equal(4000, new FileInfo(path).Length);

        // Still full: the same again, nothing left behind.
        var again = Assert.ThrowsAny<IOException>(() => file.Append(Line(n)));
        Assert.Contains("the partial record was removed", again.Message);
        Assert.Equal(4000, new FileInfo(path).Length);

        // Room again: the next record starts on its own line.
        tmpfs.Resize(64);
        file.Append(Line(n));
        var lines = Lines(path);
        Assert.Equal(41, lines.Length);
        Assert.All(lines, l => Assert.Equal(99, l.Length));
        Assert.Equal($"{{\"n\":{n:D6}}}", lines[^1].TrimEnd());
    }

    [Fact]
    public void A_reader_holding_a_lock_does_not_stop_the_writer()
    {
        var path = Path.Combine(_dir, "audit.jsonl");
        using var file = new AppendOnlyFile(path, FileSyncPolicy.None);
        // FileShare.None makes .NET hold flock(LOCK_EX) for as long as the stream is open.
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
        file.Append(Line(0));
        Assert.Equal(100, reader.Length);
    }
}
