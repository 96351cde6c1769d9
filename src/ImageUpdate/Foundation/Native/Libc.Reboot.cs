using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>reboot(2), for systems without a service manager to ask (an initramfs whose init is a shell script).</summary>
internal static partial class Libc
{
    /// <summary>LINUX_REBOOT_CMD_RESTART (linux/reboot.h): restart at once, without syncing.</summary>
    internal const int RebootRestart = 0x01234567;

    [LibraryImport(Library, EntryPoint = "reboot", SetLastError = true)]
    private static partial int RebootRaw(int command);

    /// <summary>Does not return on success.</summary>
    internal static void Reboot(int command)
    {
        if (RebootRaw(command) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"reboot(2) failed: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
        }
    }
}
