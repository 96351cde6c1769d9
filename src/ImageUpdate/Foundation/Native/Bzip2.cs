using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// libbz2's low-level decoder. BZ2_bzDecompress stops at the end of one stream (BZ_STREAM_END); a
/// file made by concatenating .bz2 files (as pbzip2 and `cat a.bz2 b.bz2` make) needs a fresh decoder
/// per stream, which is what `bzip2 -d` does too.
/// </summary>
internal static partial class Bzip2
{
    internal const string Library = "libbz2.so.1.0";

    internal const int Ok = 0;
    internal const int StreamEnd = 4;

    [LibraryImport(Library, EntryPoint = "BZ2_bzDecompressInit")]
    internal static unsafe partial int DecompressInit(BzStream* stream, int verbosity, int small);

    [LibraryImport(Library, EntryPoint = "BZ2_bzDecompress")]
    internal static unsafe partial int Decompress(BzStream* stream);

    [LibraryImport(Library, EntryPoint = "BZ2_bzDecompressEnd")]
    internal static unsafe partial int DecompressEnd(BzStream* stream);

    /// <summary>The BZ_* names from bzlib.h, for error messages.</summary>
    internal static string Describe(int result) => result switch
    {
        -1 => "BZ_SEQUENCE_ERROR",
        -2 => "BZ_PARAM_ERROR",
        -3 => "BZ_MEM_ERROR (out of memory)",
        -4 => "BZ_DATA_ERROR (compressed data is corrupt)",
        -5 => "BZ_DATA_ERROR_MAGIC (not in the bzip2 format)",
        -7 => "BZ_UNEXPECTED_EOF",
        -9 => "BZ_CONFIG_ERROR",
        _ => $"bzip2 result {result}",
    };

    /// <summary>bz_stream from bzlib.h; must start zeroed (default allocator).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct BzStream
    {
        internal nint NextIn;
        internal uint AvailableIn;
        internal uint TotalInLow;
        internal uint TotalInHigh;
        internal nint NextOut;
        internal uint AvailableOut;
        internal uint TotalOutLow;
        internal uint TotalOutHigh;
        internal nint State;
        internal nint Allocate;
        internal nint Free;
        internal nint Opaque;
    }
}
