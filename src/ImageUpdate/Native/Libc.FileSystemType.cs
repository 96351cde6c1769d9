using System.Runtime.InteropServices;

namespace ImageUpdate.Native;

internal static partial class Libc
{
    internal static class FileSystemType
    {
        /// <summary>statfs(2); on 64-bit Linux f_type is the first 8 bytes of struct statfs.</summary>
        [DllImport(Library, EntryPoint = "statfs", SetLastError = true)]
        private static extern unsafe int StatFs([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buffer);

        public static unsafe long? Of(string path)
        {
            var buffer = stackalloc byte[256];
            return StatFs(path, buffer) == 0 ? *(long*)buffer : null;
        }
    }
}
