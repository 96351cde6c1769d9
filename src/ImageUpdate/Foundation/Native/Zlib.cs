using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// The system zlib's inflate, for gzip members (windowBits 15+16, as systemd-importd uses). .NET's
/// GZipStream is not used: it neither reports input that ends inside a member nor refuses bytes
/// after the last member, and an updater must notice both.
/// </summary>
internal static partial class Zlib
{
    internal const string Library = "libz.so.1";

    /// <summary>Maximum window and gzip (not zlib) framing: 15 + 16.</summary>
    internal const int GzipWindowBits = 15 + 16;

    internal const int NoFlush = 0;

    internal const int Ok = 0;
    internal const int StreamEnd = 1;
    internal const int BufferError = -5;

    [LibraryImport(Library, EntryPoint = "zlibVersion")]
    internal static partial nint Version();

    // inflateInit2() is a macro around inflateInit2_, which checks the caller's idea of the version
    // and of sizeof(z_stream) against the library's.
    [LibraryImport(Library, EntryPoint = "inflateInit2_")]
    internal static unsafe partial int InflateInit2(ZStream* stream, int windowBits, nint version, int streamSize);

    [LibraryImport(Library, EntryPoint = "inflate")]
    internal static unsafe partial int Inflate(ZStream* stream, int flush);

    [LibraryImport(Library, EntryPoint = "inflateReset")]
    internal static unsafe partial int InflateReset(ZStream* stream);

    [LibraryImport(Library, EntryPoint = "inflateEnd")]
    internal static unsafe partial int InflateEnd(ZStream* stream);

    /// <summary>zlib's own message for the last error when it left one, otherwise the Z_* name.</summary>
    internal static unsafe string Describe(int result, ZStream* stream)
    {
        var message = stream->Message == 0 ? null : Marshal.PtrToStringUTF8(stream->Message);
        var name = result switch
        {
            2 => "Z_NEED_DICT",
            -2 => "Z_STREAM_ERROR",
            -3 => "Z_DATA_ERROR",
            -4 => "Z_MEM_ERROR",
            -5 => "Z_BUF_ERROR",
            -6 => "Z_VERSION_ERROR",
            _ => $"zlib result {result}",
        };
        return message is null ? name : $"{name} ({message})";
    }

    /// <summary>z_stream from zlib.h on LP64 Linux (uLong is 64-bit); must start zeroed (default allocator).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ZStream
    {
        internal nint NextIn;
        internal uint AvailableIn;
        internal nuint TotalIn;
        internal nint NextOut;
        internal uint AvailableOut;
        internal nuint TotalOut;
        internal nint Message;
        internal nint State;
        internal nint Allocate;
        internal nint Free;
        internal nint Opaque;
        internal int DataType;
        internal nuint Adler;
        internal nuint Reserved;
    }
}
