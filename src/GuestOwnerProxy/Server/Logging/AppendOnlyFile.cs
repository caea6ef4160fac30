using System.Runtime.InteropServices;
using GuestOwnerProxy.Server.Configuration;

namespace GuestOwnerProxy.Server.Logging;

/// <summary>
/// A log file that is only ever appended to, as daemons write theirs, so that rotation and a second writer cannot
/// corrupt it. The audit log and the <c>-l</c> log file both write through this class.
/// <list type="bullet">
/// <item>Opened <c>O_APPEND</c>: the kernel puts every write at the file's current end. .NET's
/// <see cref="FileMode.Append"/> does not (it writes at its own offset), so after a <c>copytruncate</c> it leaves a
/// hole of NUL bytes, and two processes on one path overwrite each other's records.</item>
/// <item>One record is one <c>write(2)</c> of the whole line, so records of several writers never interleave.</item>
/// <item>A write that fails partway (a full file system writes what fits, then refuses) is rolled back: the file is
/// truncated to where the record started, so no half line is left for the next record to be glued to. An
/// advisory <c>flock</c> around write and rollback keeps another instance from appending in between (waited for
/// briefly only, see <see cref="TryLock"/>); the rollback
/// is skipped when the file no longer ends with the fragment (truncated by <c>copytruncate</c> meanwhile, or a
/// writer that takes no lock appended), since truncating then would cut someone else's bytes.</item>
/// <item><see cref="Reopen"/> (SIGHUP) and <see cref="ReopenIfReplaced"/> (the reload poll compares the path's
/// device and inode with the open file's) follow a rename or delete: the file is created again at the path.</item>
/// <item><see cref="FileSyncPolicy.EveryRecord"/>: <c>fdatasync</c> after each record, so a record the server has
/// acted on survives a power loss, not only a crash of the process. An append that need not wait for the disk
/// (<c>waitForDisk: false</c>: the audit's denials) is flushed by a background thread right after, batched with
/// whatever else arrived meanwhile: a client looping refused requests cannot make each of them wait a disk flush
/// (1-3 ms here), and a record whose answer gives something away (a bundle, a secret) still waits for its own.</item>
/// </list>
/// Linux only (the product runs beside kata on Linux hosts); the system calls are glibc's and musl's.
/// </summary>
public sealed class AppendOnlyFile : IDisposable
{
    /// <summary>New files: owner read/write, group read. Records are not secret but nobody else needs them.</summary>
    private const uint CreateMode = 0b110_100_000;

    private readonly Lock _lock = new();
    private readonly FileSyncPolicy _sync;
    private readonly AutoResetEvent _flushWanted = new(false);
    private Thread? _flusher;
    private readonly object _flushGate = new(); // a Monitor (Wait/PulseAll), not a Lock
    private long _written;
    private long _flushed;
    private bool _flushing;
    private bool _backgroundFlushFailed;
    private int _fd = -1;
    private FileIdentity _identity;

    /// <exception cref="IOException">the file cannot be opened or created.</exception>
    public AppendOnlyFile(string path, FileSyncPolicy sync)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("append-only log files need Linux (O_APPEND, flock, statx)");
        Path = System.IO.Path.GetFullPath(path);
        _sync = sync;
        (_fd, _identity) = Open();
    }

    public string Path { get; }

    /// <summary>
    /// Appends one record with one write call. <paramref name="record"/> is the whole line, newline included.
    /// </summary>
    /// <exception cref="IOException">nothing of the record is in the file (or, when syncing failed, it may not be durable).</exception>
    /// <param name="waitForDisk">With <see cref="FileSyncPolicy.EveryRecord"/>: return once the record is on disk (true),
    /// or leave the flush to the background flusher, started at once and not waited for (false).</param>
    public void Append(ReadOnlySpan<byte> record, bool waitForDisk = true)
    {
        if (record.IsEmpty)
            return;
        long sequence;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_fd < 0, this);
            // A background flush that failed is retried by this append, which then waits for the disk: its own
            // flush covers the earlier records, and if it fails too the caller hears of it (and counts it).
            if (_backgroundFlushFailed)
            {
                _backgroundFlushFailed = false;
                waitForDisk = true;
            }
            bool locked = TryLock();
            try
            {
                nint written;
                int errno;
                do
                {
                    written = Libc.write(_fd, ref MemoryMarshal.GetReference(record), (nuint)record.Length);
                    errno = written < 0 ? Marshal.GetLastPInvokeError() : 0;
                }
                while (written < 0 && errno == Libc.EINTR);
                if (written < 0)
                    throw Failure("write", errno);
                if (written < record.Length)
                    throw new IOException($"'{Path}': short write ({written} of {record.Length} bytes, the file system is probably full); {RollBack(written)}");
                sequence = ++_written;
            }
            finally
            {
                if (locked)
                    Libc.flock(_fd, Libc.LOCK_UN);
            }
            if (_sync == FileSyncPolicy.EveryRecord && !waitForDisk)
            {
                StartFlusher();
                _flushWanted.Set();
            }
        }
        if (_sync == FileSyncPolicy.EveryRecord && waitForDisk)
            WaitUntilOnDisk(sequence);
    }

    /// <summary>
    /// Group commit: returns once every record up to <paramref name="sequence"/> is on disk. One caller at a time runs
    /// fdatasync, outside the write lock (appends go on meanwhile), for everything written when it started; the others
    /// wait for it and return when it covered them, so concurrent records share a flush instead of queueing one each.
    /// </summary>
    /// <exception cref="IOException">the flush this caller ran failed (a waiter whose flusher failed runs its own).</exception>
    private void WaitUntilOnDisk(long sequence)
    {
        while (true)
        {
            lock (_flushGate)
            {
                while (_flushed < sequence && _flushing)
                    Monitor.Wait(_flushGate);
                if (_flushed >= sequence)
                    return;
                _flushing = true;
            }
            long target = 0;
            bool done = false;
            try
            {
                int fd, errno = 0;
                lock (_lock)
                {
                    target = _written;
                    if (_fd < 0)
                    {
                        // Disposed meanwhile: closing flushed everything written.
                        done = true;
                        continue;
                    }
                    // A duplicate, so a rotation may close the original meanwhile: this flush stays on the file those
                    // records went to (and CloseCurrent flushes the old file anyway).
                    fd = Libc.dup(_fd);
                    if (fd < 0)
                        errno = Marshal.GetLastPInvokeError();
                }
                if (fd < 0)
                    throw Failure("dup (before fdatasync)", errno);
                try
                {
                    if (Libc.fdatasync(fd) < 0)
                        throw Failure("fdatasync (the record is written but may not be on disk)", Marshal.GetLastPInvokeError());
                }
                finally
                {
                    Libc.close(fd);
                }
                done = true;
            }
            finally
            {
                lock (_flushGate)
                {
                    _flushing = false;
                    if (done && target > _flushed)
                        _flushed = target;
                    Monitor.PulseAll(_flushGate);
                }
            }
        }
    }

    /// <summary>Closes the file and opens the path again (creating it): after a rename-style rotation.</summary>
    /// <exception cref="IOException">the path cannot be opened; the old file stays in use.</exception>
    public void Reopen()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_fd < 0, this);
            var (fd, identity) = Open();
            CloseCurrent();
            (_fd, _identity) = (fd, identity);
        }
    }

    /// <summary>Reopens when the path no longer names the open file (renamed or deleted); true when it did.</summary>
    /// <exception cref="IOException">the path cannot be opened; the old file stays in use.</exception>
    public bool ReopenIfReplaced()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_fd < 0, this);
            var now = FileIdentity.OfPath(Path);
            // Where statx is unavailable (an old container runtime's seccomp filter) only SIGHUP reopens.
            if (now == _identity || now == FileIdentity.Unknown || _identity == FileIdentity.Unknown)
                return false;
            var (fd, identity) = Open();
            CloseCurrent();
            (_fd, _identity) = (fd, identity);
            return true;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_fd >= 0)
                CloseCurrent();
            _fd = -1;
        }
        _flushWanted.Set();
    }

    /// <summary>Closes the open descriptor (under the lock), first flushing it when records may still be waiting for
    /// the disk: after a rotation the flushes go to the new file, and these records are in the old one.</summary>
    private void CloseCurrent()
    {
        if (_sync == FileSyncPolicy.EveryRecord)
            Libc.fdatasync(_fd);
        Libc.close(_fd);
    }

    private void StartFlusher()
    {
        if (_flusher is not null)
            return;
        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "append-only file flusher" };
        _flusher.Start();
    }

    /// <summary>Flushes what was appended without waiting for the disk, through the same group commit as the waiting
    /// appends (one flush for a batch). A failure is left for the next append to retry and report.</summary>
    private void FlushLoop()
    {
        while (true)
        {
            _flushWanted.WaitOne();
            long sequence;
            lock (_lock)
            {
                if (_fd < 0)
                    return;
                sequence = _written;
            }
            try
            {
                WaitUntilOnDisk(sequence);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                lock (_lock)
                    _backgroundFlushFailed = _fd >= 0;
            }
        }
    }

    private (int Fd, FileIdentity Identity) Open()
    {
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
            Directory.CreateDirectory(directory);
        int fd;
        do
            fd = Libc.open(Path, Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CREAT | Libc.O_CLOEXEC, CreateMode);
        while (fd < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
        if (fd < 0)
            throw Failure("open", Marshal.GetLastPInvokeError());
        try
        {
            return (fd, FileIdentity.OfDescriptor(fd, Path));
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>Removes the <paramref name="written"/> bytes of a short write; says what happened.</summary>
    private string RollBack(nint written)
    {
        // With O_APPEND the offset after the write is the end of what this write added.
        long end = Libc.lseek(_fd, 0, Libc.SEEK_CUR);
        long size = Libc.lseek(_fd, 0, Libc.SEEK_END);
        if (end < written || size != end)
            return "the partial record could not be removed (the file changed under it)";
        return Libc.ftruncate(_fd, end - written) == 0
            ? "the partial record was removed"
            : $"the partial record could not be removed ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})";
    }

    /// <summary>
    /// The advisory lock that keeps another instance out between a short write and its rollback. Never waited for
    /// long: a program that holds a lock on the file for as long as it has it open (.NET's FileShare does, with
    /// flock) must not stop the audit. Without the lock the record is still written whole; only a rollback could
    /// then race with another writer, and it checks that the file still ends with its fragment.
    /// </summary>
    private bool TryLock()
    {
        for (int attempt = 0; attempt < LockAttempts; attempt++)
        {
            if (Libc.flock(_fd, Libc.LOCK_EX | Libc.LOCK_NB) == 0)
                return true;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EWOULDBLOCK && errno != Libc.EINTR)
                return false;
            Thread.Sleep(1);
        }
        return false;
    }

    /// <summary>About 50 ms: far longer than another gop holds it (one write), far shorter than a client waits.</summary>
    private const int LockAttempts = 50;

    private IOException Failure(string what, int errno) =>
        new($"'{Path}': {what} failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    /// <summary>Device and inode: what a rename or delete-and-recreate changes. Default: no file at the path.</summary>
    private readonly record struct FileIdentity(ulong Inode, uint DeviceMajor, uint DeviceMinor)
    {
        /// <summary>statx refused (ENOSYS, EPERM): the identity cannot be known, so it is never taken as changed.</summary>
        public static readonly FileIdentity Unknown = new(ulong.MaxValue, uint.MaxValue, uint.MaxValue);

        // struct statx (linux/stat.h) is the same on every architecture, unlike struct stat.
        private const int StatxSize = 256;
        private const int InodeOffset = 32;
        private const int DeviceMajorOffset = 136;
        private const int DeviceMinorOffset = 140;

        public static FileIdentity OfDescriptor(int fd, string path) =>
            Statx(fd, "", Libc.AT_EMPTY_PATH, path) ?? throw new IOException($"'{path}': the opened file vanished");

        /// <summary>The file the path names now; default when nothing is there.</summary>
        public static FileIdentity OfPath(string path) => Statx(Libc.AT_FDCWD, path, 0, path) ?? default;

        private static FileIdentity? Statx(int dirfd, string path, int flags, string name)
        {
            Span<byte> buffer = stackalloc byte[StatxSize];
            int result;
            do
                result = Libc.statx(dirfd, path, flags, Libc.STATX_INO, ref MemoryMarshal.GetReference(buffer));
            while (result < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR);
            if (result < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Libc.ENOENT or Libc.ENOTDIR)
                    return null;
                if (errno is Libc.ENOSYS or Libc.EPERM)
                    return Unknown;
                throw new IOException($"'{name}': statx failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
            return new FileIdentity(
                BitConverter.ToUInt64(buffer[InodeOffset..]),
                BitConverter.ToUInt32(buffer[DeviceMajorOffset..]),
                BitConverter.ToUInt32(buffer[DeviceMinorOffset..]));
        }
    }

    /// <summary>The few libc calls .NET does not expose (it has no O_APPEND and no inode). Linux values (x86-64, arm64).</summary>
    private static class Libc
    {
        public const int O_WRONLY = 0x1;
        public const int O_CREAT = 0x40;
        public const int O_APPEND = 0x400;
        public const int O_CLOEXEC = 0x80000;
        public const int LOCK_EX = 2;
        public const int LOCK_NB = 4;
        public const int LOCK_UN = 8;
        public const int SEEK_CUR = 1;
        public const int SEEK_END = 2;
        public const int AT_FDCWD = -100;
        public const int AT_EMPTY_PATH = 0x1000;
        public const uint STATX_INO = 0x100;
        public const int EPERM = 1;
        public const int ENOENT = 2;
        public const int EINTR = 4;
        public const int EWOULDBLOCK = 11;
        public const int ENOTDIR = 20;
        public const int ENOSYS = 38;

        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

        [DllImport("libc", SetLastError = true)]
        public static extern nint write(int fd, ref byte buffer, nuint count);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int dup(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int flock(int fd, int operation);

        [DllImport("libc", SetLastError = true)]
        public static extern int fdatasync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern long lseek(int fd, long offset, int whence);

        [DllImport("libc", SetLastError = true)]
        public static extern int ftruncate(int fd, long length);

        [DllImport("libc", SetLastError = true)]
        public static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);
    }
}
