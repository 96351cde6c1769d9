using ImageUpdate.Foundation.Native;
using ImageUpdate.Foundation.Streams;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Platform.FileSystem;

/// <summary>
/// Reads an open regular file from start to end around the page cache (O_DIRECT), falling back to
/// ordinary reads where the file system has no direct I/O. For a file read once whose pages are
/// certainly not cached: a staged payload in a snapshot taken a moment ago (a new inode, so a cold
/// cache even when the downloader's copy is warm). On BTRFS over a loop device, reading 1 GiB that way
/// took 0.5 s against 1.4-1.7 s through the cache, which allocates, fills and drops every page.
/// <para>
/// Direct reads need an aligned buffer, length and file offset. A read into a caller's aligned buffer
/// of at least one block (what the copy hands in) goes straight into it, rounded down to whole
/// blocks; any other read is served from an aligned bounce buffer of this stream. A short read can only
/// be the end of the file: after it the stream goes on with ordinary reads, whatever the offset.
/// </para>
/// </summary>
public sealed class DirectReadStream : ForwardReadStream
{
    /// <summary>The alignment direct reads keep: a multiple of every logical block size (512 to 4096).</summary>
    public const int Alignment = AlignedBuffer.Alignment;

    private const int BounceSize = 1 << 20;

    private readonly SafeFileHandle _handle;
    private readonly long _length;
    private AlignedBuffer? _bounce;
    private int _bounceStart;
    private int _bounceEnd;
    private long _position;

    /// <summary>Takes <paramref name="handle"/> (opened for reading; disposed with the stream) and switches it to direct reads when the file system allows.</summary>
    public DirectReadStream(SafeFileHandle handle)
    {
        _handle = handle;
        _length = RandomAccess.GetLength(handle);
        IsDirect = Libc.DirectIo.TrySet(handle, direct: true) == 0;
    }

    /// <summary>Whether reads currently bypass the page cache.</summary>
    public bool IsDirect { get; private set; }

    public override long? ExpectedLength => _length;

    /// <summary>The file's length when it was opened (the stream itself reads forward only).</summary>
    public override long Length => _length;

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_bounceStart < _bounceEnd)
        {
            return TakeFromBounce(buffer);
        }

        if (!IsDirect)
        {
            return Advance(RandomAccess.Read(_handle, buffer, _position), buffer.Length);
        }

        try
        {
            if (Whole(buffer.Length) is var blocks and > 0 && IsAligned(buffer))
            {
                return Advance(RandomAccess.Read(_handle, buffer[..blocks], _position), blocks);
            }

            var bounce = Bounce();
            _bounceStart = 0;
            _bounceEnd = Advance(RandomAccess.Read(_handle, bounce.GetSpan(), _position), BounceSize);
            return TakeFromBounce(buffer);
        }
        catch (IOException) when (IsDirect)
        {
            StopDirect();
            return Read(buffer);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_bounceStart < _bounceEnd)
        {
            return TakeFromBounce(buffer.Span);
        }

        if (!IsDirect)
        {
            return Advance(await RandomAccess.ReadAsync(_handle, buffer, _position, cancellationToken).ConfigureAwait(false), buffer.Length);
        }

        try
        {
            if (Whole(buffer.Length) is var blocks and > 0 && IsAligned(buffer))
            {
                return Advance(await RandomAccess.ReadAsync(_handle, buffer[..blocks], _position, cancellationToken).ConfigureAwait(false), blocks);
            }

            var bounce = Bounce();
            _bounceStart = 0;
            _bounceEnd = Advance(await RandomAccess.ReadAsync(_handle, bounce.Memory, _position, cancellationToken).ConfigureAwait(false), BounceSize);
            return TakeFromBounce(buffer.Span);
        }
        catch (IOException) when (IsDirect)
        {
            StopDirect();
            return await ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
            ((IDisposable?)_bounce)?.Dispose();
            _bounce = null;
        }

        base.Dispose(disposing);
    }

    private static int Whole(int length) => length & ~(Alignment - 1);

    private static bool IsAligned(Span<byte> buffer)
    {
        unsafe
        {
            fixed (byte* pointer = buffer)
            {
                return (nint)pointer % Alignment == 0;
            }
        }
    }

    private static bool IsAligned(Memory<byte> buffer)
    {
        using var pinned = buffer.Pin();
        unsafe
        {
            return (nint)pinned.Pointer % Alignment == 0;
        }
    }

    private AlignedBuffer Bounce() => _bounce ??= new AlignedBuffer(BounceSize);

    /// <summary>Moves past <paramref name="read"/> bytes; a short direct read is the end of the file, after which the offset is no longer aligned.</summary>
    private int Advance(int read, int asked)
    {
        _position += read;
        if (IsDirect && read < asked)
        {
            StopDirect();
        }

        return read;
    }

    /// <summary>
    /// Back to reads through the cache: after the end of the file, or when a direct read failed (a
    /// file system that took O_DIRECT but refuses the read); a real I/O error then fails the ordinary
    /// read that follows.
    /// </summary>
    private void StopDirect()
    {
        IsDirect = false;
        _ = Libc.DirectIo.TrySet(_handle, direct: false);
    }

    private int TakeFromBounce(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _bounceEnd - _bounceStart);
        _bounce!.GetSpan().Slice(_bounceStart, count).CopyTo(destination);
        _bounceStart += count;
        return count;
    }
}
