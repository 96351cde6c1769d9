using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Formats.Compression;

/// <summary>
/// .xz through liblzma with LZMA_CONCATENATED, as `xz -d` decodes: several streams and stream padding
/// in a row are one output; anything else after a stream is an error (LZMA_FORMAT_ERROR/DATA_ERROR).
/// </summary>
internal sealed unsafe class XzDecodingStream : DecodingStream
{
    private readonly LzmaStreamHandle _decoder;

    internal XzDecodingStream(Stream compressed, bool leaveOpen) : base(compressed, leaveOpen, CompressionKind.Xz)
    {
        _decoder = LzmaStreamHandle.CreateDecoder(out var result);
        if (result != Lzma.Ok)
        {
            _decoder.Dispose();
            throw DecompressionException.Corrupt(Kind, $"lzma_stream_decoder failed with {Lzma.Describe(result)}");
        }
    }

    protected override bool Decode(ReadOnlySpan<byte> input, Span<byte> output, bool inputFinished, out int consumed, out int produced)
    {
        var stream = _decoder.Stream;
        int result;
        fixed (byte* inputPointer = input)
        fixed (byte* outputPointer = output)
        {
            stream->NextIn = (nint)inputPointer;
            stream->AvailableIn = (nuint)input.Length;
            stream->NextOut = (nint)outputPointer;
            stream->AvailableOut = (nuint)output.Length;

            // LZMA_CONCATENATED only reports LZMA_STREAM_END once told with LZMA_FINISH that no more
            // input will come; until then a finished stream may be followed by another.
            result = Lzma.Code(stream, inputFinished ? Lzma.ActionFinish : Lzma.ActionRun);
            consumed = input.Length - (int)stream->AvailableIn;
            produced = output.Length - (int)stream->AvailableOut;
            stream->NextIn = 0;
            stream->NextOut = 0;
        }

        switch (result)
        {
            case Lzma.Ok:
                return false;
            case Lzma.StreamEnd:
                return true;
            case 10 when inputFinished:
                throw DecompressionException.Truncated(Kind);
            default:
                throw DecompressionException.Corrupt(Kind, Lzma.Describe(result));
        }
    }

    protected override void ReleaseDecoder() => _decoder.Dispose();
}
