using System.Runtime.InteropServices;

namespace ImageUpdate.Native;

/// <summary>
/// The few libc calls .NET does not expose (fsync of a directory, syncfs, flock, renameat2, ...).
/// One partial file per concern (Libc.Sync.cs, Libc.Files.cs, ...); every call reports errno through
/// <see cref="Marshal.GetLastPInvokeError"/> and is wrapped by a helper that throws IOException.
/// </summary>
internal static partial class Libc
{
    internal const string Library = "libc";

    internal static IOException Error(string what, string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{what} '{Errors.UntrustedText.Escape(path)}': {Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }
}
