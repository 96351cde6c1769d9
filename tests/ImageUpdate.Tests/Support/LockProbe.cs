using System.Globalization;

namespace ImageUpdate.Tests.Support;

/// <summary>
/// Who holds a flock, read from /proc/locks without taking the lock (a probe that took it, even for a
/// moment, could make the program under test fail). Tests wait on this state instead of a head start.
/// </summary>
public static class LockProbe
{
    /// <summary>True when process <paramref name="pid"/> holds a lock on the file at <paramref name="path"/>.</summary>
    public static bool IsHeldBy(string path, int pid)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        var inode = ImageUpdate.Platform.FileSystem.FileMetadata.GetStatus(path).Inode;
        foreach (var line in File.ReadLines("/proc/locks"))
        {
            // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; blocked waiters have "->" after the number.
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 6 && fields[1] != "->"
                && fields[4] == pid.ToString(CultureInfo.InvariantCulture)
                && fields[5].EndsWith(":" + inode.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Waits until <paramref name="pid"/> holds the lock, checking a bounded number of times; fails if it never does.</summary>
    public static async Task WaitUntilHeldAsync(string path, int pid, Func<bool> gaveUp)
    {
        for (var attempt = 0; attempt < 6000; attempt++)
        {
            if (IsHeldBy(path, pid))
            {
                return;
            }

            Assert.False(gaveUp(), $"process {pid} ended before it held {path}");
            await Task.Delay(10);
        }

        Assert.Fail($"process {pid} never held {path}");
    }
}
