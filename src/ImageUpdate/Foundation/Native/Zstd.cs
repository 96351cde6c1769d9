using System.Runtime.InteropServices;

namespace ImageUpdate.Foundation.Native;

/// <summary>
/// The streaming decoder of libzstd: ZSTD_decompressStream consumes frame after frame (skippable
/// frames included) and returns 0 exactly when a frame is complete and fully flushed.
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
