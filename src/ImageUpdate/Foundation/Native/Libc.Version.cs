using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>gnu_get_libc_version: ConditionVersion=glibc compares against the C library in use.</summary>
internal static partial class Libc
{
    [LibraryImport(Library, EntryPoint = "gnu_get_libc_version")]
    private static partial IntPtr GnuGetLibcVersion();

    /// <summary>The glibc version ("2.41"), or null on a C library that does not have the call.</summary>
    internal static string? GlibcVersion()
    {
        try
        {
            return Marshal.PtrToStringUTF8(GnuGetLibcVersion());
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }
}
