using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// The part of liblzma (xz-utils, always present where systemd is) that decodes .xz: lzma_stream_decoder
/// with LZMA_CONCATENATED so a file of several streams decodes like `xz -d` does.
/// </summary>
internal static partial class Lzma
{
    internal const string Library = "liblzma.so.5";

    internal const uint TellUnsupportedCheck = 0x02;
    internal const uint Concatenated = 0x08;

    internal const int ActionRun = 0;
    internal const int ActionFinish = 3;

    internal const int Ok = 0;
    internal const int StreamEnd = 1;

    [LibraryImport(Library, EntryPoint = "lzma_stream_decoder")]
    internal static unsafe partial int StreamDecoder(LzmaStream* stream, ulong memoryLimit, uint flags);

    [LibraryImport(Library, EntryPoint = "lzma_code")]
    internal static unsafe partial int Code(LzmaStream* stream, int action);

    [LibraryImport(Library, EntryPoint = "lzma_end")]
    internal static unsafe partial void End(LzmaStream* stream);

    /// <summary>The lzma_ret names from lzma/base.h, for error messages.</summary>
    internal static string Describe(int result) => result switch
    {
        2 => "LZMA_NO_CHECK",
        3 => "LZMA_UNSUPPORTED_CHECK (the integrity check type is not supported)",
        5 => "LZMA_MEM_ERROR (out of memory)",
        6 => "LZMA_MEMLIMIT_ERROR (memory limit reached)",
        7 => "LZMA_FORMAT_ERROR (not in the .xz format)",
        8 => "LZMA_OPTIONS_ERROR (unsupported options)",
        9 => "LZMA_DATA_ERROR (compressed data is corrupt)",
        10 => "LZMA_BUF_ERROR (unexpected end of input)",
        11 => "LZMA_PROG_ERROR",
        _ => $"lzma_ret {result}",
    };

    /// <summary>lzma_stream from lzma/base.h; must start zeroed (LZMA_STREAM_INIT).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct LzmaStream
    {
        internal nint NextIn;
        internal nuint AvailableIn;
        internal ulong TotalIn;
        internal nint NextOut;
        internal nuint AvailableOut;
        internal ulong TotalOut;
        internal nint Allocator;
        internal nint Internal;
        internal nint Reserved1;
        internal nint Reserved2;
        internal nint Reserved3;
        internal nint Reserved4;
        internal ulong SeekPosition;
        internal ulong ReservedInt2;
        internal nuint ReservedInt3;
        internal nuint ReservedInt4;
        internal int ReservedEnum1;
        internal int ReservedEnum2;
    }
}
