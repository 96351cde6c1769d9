using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Foundation.Native;

/// <summary>flock(2): BSD locks belong to the open file description, so they vanish with the fd.</summary>
internal static partial class Libc
{
    internal const int LockExclusive = 2;
    internal const int LockNonBlocking = 4;
    internal const int LockUnlock = 8;

    [LibraryImport(Library, EntryPoint = "flock", SetLastError = true)]
    private static partial int FlockRaw(SafeFileHandle fd, int operation);

    /// <summary>Returns false when <see cref="LockNonBlocking"/> was asked for and someone else holds the lock.</summary>
    internal static bool Flock(SafeFileHandle fd, int operation, string path)
    {
        while (FlockRaw(fd, operation) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EAgain && (operation & LockNonBlocking) != 0)
            {
                return false;
            }

            if (errno != EIntr)
            {
                throw Error("Cannot lock", path);
            }
        }

        return true;
    }

    /// <summary>The GPT code's view: flock on a raw fd (the whole-device lock udev and systemd-sysupdate also honour); returns flock's result.</summary>
    internal static partial class Gpt
    {
        internal const int LockShared = 1; // LOCK_SH
        internal const int LockExclusive = Libc.LockExclusive;
        internal const int LockUnlock = Libc.LockUnlock;

        internal static int Flock(int fd, int operation) => FlockRaw(Borrowed(fd), operation);
    }
}
