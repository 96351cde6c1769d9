using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// The streaming decoder of libzstd: ZSTD_decompressStream consumes frame after frame (skippable
/// frames included) and returns 0 exactly when a frame is complete and fully flushed. The one-shot
/// ZSTD_compress/ZSTD_decompress serve small bounded buffers (casync's chunks): decoding straight
/// into a caller's buffer needs no window allocation, so a hostile frame cannot make it grow.
/// </summary>
internal static partial class Zstd
{
    internal const string Library = "libzstd.so.1";

    [LibraryImport(Library, EntryPoint = "ZSTD_createDStream")]
    internal static partial ZstdDecoderHandle CreateDecoder();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeDStream")]
    internal static partial nuint FreeDecoder(nint decoder);

    [LibraryImport(Library, EntryPoint = "ZSTD_initDStream")]
    internal static partial nuint InitDecoder(ZstdDecoderHandle decoder);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompressStream")]
    internal static unsafe partial nuint DecompressStream(ZstdDecoderHandle decoder, OutBuffer* output, InBuffer* input);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressBound")]
    internal static partial nuint CompressBound(nuint sourceSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_compress")]
    internal static unsafe partial nuint Compress(byte* destination, nuint destinationCapacity, byte* source, nuint sourceSize, int level);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompress")]
    internal static unsafe partial nuint Decompress(byte* destination, nuint destinationCapacity, byte* source, nuint sourceSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    internal static partial uint IsError(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorName")]
    private static partial nint GetErrorNameRaw(nuint code);

    internal static string GetErrorName(nuint code) => Marshal.PtrToStringUTF8(GetErrorNameRaw(code)) ?? $"zstd error {code}";

    [StructLayout(LayoutKind.Sequential)]
    internal struct InBuffer
    {
        internal nint Source;
        internal nuint Size;
        internal nuint Position;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct OutBuffer
    {
        internal nint Destination;
        internal nuint Size;
        internal nuint Position;
    }
}
