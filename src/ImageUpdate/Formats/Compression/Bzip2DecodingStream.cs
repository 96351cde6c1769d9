using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Formats.Compression;

/// <summary>
/// .bz2 through libbz2, one decoder per concatenated stream like `bzip2 -d`. Unlike `bzip2 -d`, which
/// warns about and ignores trailing garbage, bytes after the last stream that do not start another
/// stream are an error here, as they are for `xz -d` and `zstd -d`: an updater must not install
/// data it could not account for.
/// </summary>
internal sealed unsafe class Bzip2DecodingStream : DecodingStream
{
    private readonly Bzip2StreamHandle _decoder;
    private bool _streamEnded;

    internal Bzip2DecodingStream(Stream compressed, bool leaveOpen) : base(compressed, leaveOpen, CompressionKind.Bzip2)
    {
        _decoder = Bzip2StreamHandle.CreateDecoder(out var result);
        if (result != Bzip2.Ok)
        {
            _decoder.Dispose();
            throw DecompressionException.Corrupt(Kind, $"BZ2_bzDecompressInit failed with {Bzip2.Describe(result)}");
        }
    }

    protected override bool Decode(ReadOnlySpan<byte> input, Span<byte> output, bool inputFinished, out int consumed, out int produced)
    {
        consumed = 0;
        produced = 0;
        if (_streamEnded)
        {
            if (input.IsEmpty)
            {
                return inputFinished;
            }

            var restarted = _decoder.Restart();
            if (restarted != Bzip2.Ok)
            {
                throw DecompressionException.Corrupt(Kind, $"BZ2_bzDecompressInit failed with {Bzip2.Describe(restarted)}");
            }

            _streamEnded = false;
        }

        var stream = _decoder.Stream;
        int result;
        fixed (byte* inputPointer = input)
        fixed (byte* outputPointer = output)
        {
            stream->NextIn = (nint)inputPointer;
            stream->AvailableIn = (uint)input.Length;
            stream->NextOut = (nint)outputPointer;
            stream->AvailableOut = (uint)Math.Min(output.Length, int.MaxValue);
            result = Bzip2.Decompress(stream);
            consumed = input.Length - (int)stream->AvailableIn;
            produced = output.Length - (int)stream->AvailableOut;
            stream->NextIn = 0;
            stream->NextOut = 0;
        }

        if (result == Bzip2.StreamEnd)
        {
            _streamEnded = true;
            return inputFinished && consumed == input.Length;
        }

        if (result != Bzip2.Ok)
        {
            throw DecompressionException.Corrupt(Kind, Bzip2.Describe(result));
        }

        return false;
    }

    protected override void ReleaseDecoder() => _decoder.Dispose();
}
