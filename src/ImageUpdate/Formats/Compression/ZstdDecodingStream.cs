using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Formats.Compression;

/// <summary>
/// .zst through libzstd's streaming decoder: frames follow one another (zstd -d decodes them all,
/// skippable frames included) and anything that is not a frame is an error, as with `zstd -d`.
/// </summary>
internal sealed unsafe class ZstdDecodingStream : DecodingStream
{
    private readonly ZstdDecoderHandle _decoder;

    // ZSTD_decompressStream's last answer: 0 means the frame in progress is complete and flushed.
    // Starts non-zero so that input ending before any frame counts as truncated.
    private nuint _lastHint = 1;

    internal ZstdDecodingStream(Stream compressed, bool leaveOpen) : base(compressed, leaveOpen, CompressionKind.Zstd)
    {
        _decoder = Zstd.CreateDecoder();
        if (_decoder.IsInvalid)
        {
            _decoder.Dispose();
            throw DecompressionException.Corrupt(Kind, "ZSTD_createDStream failed (out of memory)");
        }

        var result = Zstd.InitDecoder(_decoder);
        if (Zstd.IsError(result) != 0)
        {
            _decoder.Dispose();
            throw DecompressionException.Corrupt(Kind, $"ZSTD_initDStream failed with {Zstd.GetErrorName(result)}");
        }
    }

    protected override bool Decode(ReadOnlySpan<byte> input, Span<byte> output, bool inputFinished, out int consumed, out int produced)
    {
        if (input.IsEmpty && inputFinished && _lastHint == 0)
        {
            consumed = 0;
            produced = 0;
            return true;
        }

        nuint hint;
        fixed (byte* inputPointer = input)
        fixed (byte* outputPointer = output)
        {
            var inBuffer = new Zstd.InBuffer { Source = (nint)inputPointer, Size = (nuint)input.Length };
            var outBuffer = new Zstd.OutBuffer { Destination = (nint)outputPointer, Size = (nuint)output.Length };
            hint = Zstd.DecompressStream(_decoder, &outBuffer, &inBuffer);
            consumed = (int)inBuffer.Position;
            produced = (int)outBuffer.Position;
        }

        if (Zstd.IsError(hint) != 0)
        {
            throw DecompressionException.Corrupt(Kind, Zstd.GetErrorName(hint));
        }

        _lastHint = hint;
        return false;
    }

    protected override void ReleaseDecoder() => _decoder.Dispose();
}
