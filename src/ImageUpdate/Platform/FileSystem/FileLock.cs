using System.Diagnostics.CodeAnalysis;
using ImageUpdate.Foundation.Native;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// An exclusive flock(2) on a file (created if missing) or an existing directory, held until
/// <see cref="Dispose"/>; the kernel drops it when the process dies, so a crash never leaves a stale lock.
/// Two locks on the same path conflict even within one process (flock locks belong to open files).
/// </summary>
public sealed class FileLock : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly SafeFileHandle _handle;

    private FileLock(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    public string Path { get; }

    /// <summary>Waits as long as it takes for the lock.</summary>
    public static FileLock Acquire(string path)
    {
        var handle = OpenLockFile(path);
        try
        {
            Libc.Flock(handle, Libc.LockExclusive, path);
            return new FileLock(path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Takes the lock if it is free; false, without waiting, when someone else holds it.</summary>
    public static bool TryAcquire(string path, [NotNullWhen(true)] out FileLock? fileLock)
    {
        var handle = OpenLockFile(path);
        try
        {
            if (Libc.Flock(handle, Libc.LockExclusive | Libc.LockNonBlocking, path))
            {
                fileLock = new FileLock(path, handle);
                return true;
            }
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        handle.Dispose();
        fileLock = null;
        return false;
    }

    /// <summary>Waits for the lock, checking every 100 ms, until <paramref name="cancellationToken"/> is cancelled.</summary>
    public static async Task<FileLock> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryAcquire(path, out var fileLock))
            {
                return fileLock;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Releases the lock (closing the descriptor releases it).</summary>
    public void Dispose() => _handle.Dispose();

    private static SafeFileHandle OpenLockFile(string path) =>
        Directory.Exists(path)
            ? Libc.Open(path, Libc.OReadOnly | Libc.ODirectory)
            : Libc.Open(path, Libc.OReadWrite | Libc.OCreate | Libc.ONoControllingTerminal, mode: 0x180 /* 0600 */);
}
