using ImageUpdate.Foundation.Native;

namespace ImageUpdate.Formats.Compression;

/// <summary>
/// gzip through the system zlib, member after member like `gzip -d` (RFC 1952 §2.2: a gzip file is a
/// series of members). Input ending inside a member is truncation; bytes after the last member that
/// do not start another member are an error, where `gzip -d` only warns, as for xz and zstd.
/// </summary>
internal sealed unsafe class GzipDecodingStream : DecodingStream
{
    private readonly ZlibStreamHandle _inflater;
    private bool _memberEnded;

    internal GzipDecodingStream(Stream compressed, bool leaveOpen) : base(compressed, leaveOpen, CompressionKind.Gzip)
    {
        _inflater = ZlibStreamHandle.CreateGzipInflater(out var result);
        if (result != Zlib.Ok)
        {
            var detail = Zlib.Describe(result, _inflater.Stream);
            _inflater.Dispose();
            throw DecompressionException.Corrupt(Kind, $"inflateInit2 failed with {detail}");
        }
    }

    protected override bool Decode(ReadOnlySpan<byte> input, Span<byte> output, bool inputFinished, out int consumed, out int produced)
    {
        consumed = 0;
        produced = 0;
        var stream = _inflater.Stream;
        if (_memberEnded)
        {
            if (input.IsEmpty)
            {
                return inputFinished;
            }

            // More bytes follow a complete member: they must be another member.
            Zlib.InflateReset(stream);
            _memberEnded = false;
        }

        int result;
        fixed (byte* inputPointer = input)
        fixed (byte* outputPointer = output)
        {
            stream->NextIn = (nint)inputPointer;
            stream->AvailableIn = (uint)input.Length;
            stream->NextOut = (nint)outputPointer;
            stream->AvailableOut = (uint)output.Length;
            result = Zlib.Inflate(stream, Zlib.NoFlush);
            consumed = input.Length - (int)stream->AvailableIn;
            produced = output.Length - (int)stream->AvailableOut;
            stream->NextIn = 0;
            stream->NextOut = 0;
        }

        switch (result)
        {
            case Zlib.StreamEnd:
                _memberEnded = true;
                return inputFinished && consumed == input.Length;
            case Zlib.Ok:
            // Z_BUF_ERROR only means "no progress possible now": more input is needed, and the
            // caller decides whether that is truncation.
            case Zlib.BufferError:
                return false;
            default:
                throw DecompressionException.Corrupt(Kind, Zlib.Describe(result, stream));
        }
    }

    protected override void ReleaseDecoder() => _inflater.Dispose();
}
