using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ImageUpdate.Formats.Casync;

/// <summary>
/// casync's content-defined chunker (src/cachunker.c, ca_chunker_scan), fed a stream piecewise.
/// Per chunk: the first (minimum - 48) bytes are not hashed at all; the next 48 fill the window,
/// whose hash is tested once full; then every further byte rolls the window and is tested. A cut
/// falls right after the byte whose test says so: when the chunk has reached the maximum size, or
/// when h mod d == d - 1 (d = <see cref="ChunkSizeLimits.Discriminator"/>). After a cut the hash,
/// window and size start again from zero. minimum = average = maximum is casync's fixed-size mode.
/// The end of the input ends the last chunk wherever it is.
/// </summary>
public sealed class CasyncChunker
{
    private readonly byte[] _window = new byte[Buzhash.WindowSize];
    private readonly long _minimum;
    private readonly long _maximum;
    private readonly long _skip;
    private readonly uint _discriminator;
    private readonly ulong _divisibilityMultiplier;
    private readonly bool _fixedSize;

    private uint _hash;
    private int _windowFill;
    private int _windowIndex;
    private long _chunkSize;

    public CasyncChunker(ChunkSizeLimits sizes)
    {
        Sizes = sizes;
        _minimum = sizes.Minimum;
        _maximum = sizes.Maximum;
        _skip = Math.Max(0, sizes.Minimum - Buzhash.WindowSize);
        _discriminator = sizes.Discriminator;
        _divisibilityMultiplier = (ulong.MaxValue / _discriminator) + 1;
        _fixedSize = sizes.Minimum == sizes.Average && sizes.Average == sizes.Maximum;
    }

    public ChunkSizeLimits Sizes { get; }

    /// <summary>Bytes of the current (not yet cut) chunk seen so far.</summary>
    public long PendingSize => _chunkSize;

    /// <summary>
    /// Scans the next bytes of the stream. Returns how many of them belong to the current chunk when
    /// a cut falls inside <paramref name="data"/> (the chunk then ends there and the next scan starts a
    /// new one), or -1 when all of them belong to the current chunk and no cut was found.
    /// </summary>
    public int Scan(ReadOnlySpan<byte> data)
    {
        if (_fixedSize)
        {
            var room = _maximum - _chunkSize;
            if (data.Length < room)
            {
                _chunkSize += data.Length;
                return -1;
            }

            Reset();
            return (int)room;
        }

        var consumed = 0;
        if (_chunkSize < _skip)
        {
            var unhashed = _skip - _chunkSize;
            if (unhashed >= data.Length)
            {
                _chunkSize += data.Length;
                return -1;
            }

            consumed = (int)unhashed;
            _chunkSize = _skip;
        }

        if (_windowFill < Buzhash.WindowSize)
        {
            var take = Math.Min(Buzhash.WindowSize - _windowFill, data.Length - consumed);
            data.Slice(consumed, take).CopyTo(_window.AsSpan(_windowFill));
            _windowFill += take;
            _chunkSize += take;
            consumed += take;
            if (_windowFill < Buzhash.WindowSize)
            {
                return -1;
            }

            _hash = Buzhash.Start(_window);
            _windowIndex = 0;
            if (ShallCut(_hash, _chunkSize))
            {
                Reset();
                return consumed;
            }
        }

        var cut = Roll(data[consumed..]);
        if (cut < 0)
        {
            return -1;
        }

        Reset();
        return consumed + cut;
    }

    /// <summary>
    /// The hot loop: per byte two table loads, a rotation and one 64-bit multiply, no bounds checks and no
    /// allocation. The byte leaving the window is read from the ring for the first 48 bytes of
    /// <paramref name="data"/> and from <paramref name="data"/> itself after that; the ring is brought
    /// up to date only when the call ends without a cut.
    /// </summary>
    private int Roll(ReadOnlySpan<byte> data)
    {
        var hash = _hash;
        var ringStart = _windowIndex;
        var window = _window;
        ref var leaving = ref MemoryMarshal.GetArrayDataReference(Buzhash.LeavingTable);
        ref var entering = ref MemoryMarshal.GetReference(Buzhash.Table);
        ref var input = ref MemoryMarshal.GetReference(data);
        var target = _discriminator - 1;
        var multiplier = _divisibilityMultiplier;

        // Only bytes that leave the chunk below its maximum are hash-tested; the byte that brings it to
        // the maximum is a cut whatever its hash (casync tests the size first). A chunk arrives here
        // below its maximum: the window-full test has already cut one that reached it.
        var belowMaximum = _maximum - _chunkSize - 1;
        var length = (int)Math.Min(data.Length, belowMaximum);
        var fromRing = Math.Min(length, Buzhash.WindowSize);
        var i = 0;
        for (; i < fromRing; i++)
        {
            var slot = ringStart + i;
            var old = window[slot >= Buzhash.WindowSize ? slot - Buzhash.WindowSize : slot];
            hash = uint.RotateLeft(hash, 1) ^ Unsafe.Add(ref leaving, old) ^ Unsafe.Add(ref entering, Unsafe.Add(ref input, i));
            if (IsCut(hash, target, multiplier))
            {
                _chunkSize += i + 1;
                return i + 1;
            }
        }

        for (; i < length; i++)
        {
            hash = uint.RotateLeft(hash, 1)
                ^ Unsafe.Add(ref leaving, Unsafe.Add(ref input, i - Buzhash.WindowSize))
                ^ Unsafe.Add(ref entering, Unsafe.Add(ref input, i));
            if (IsCut(hash, target, multiplier))
            {
                _chunkSize += i + 1;
                return i + 1;
            }
        }

        _chunkSize += length;
        if (length < data.Length)
        {
            // The byte that brings the chunk to its maximum size: casync tests the size before the hash.
            _chunkSize++;
            return length + 1;
        }

        _hash = hash;
        if (length >= Buzhash.WindowSize)
        {
            data[^Buzhash.WindowSize..].CopyTo(window);
            _windowIndex = 0;
        }
        else
        {
            var slot = ringStart;
            foreach (var b in data)
            {
                window[slot] = b;
                slot = slot == Buzhash.WindowSize - 1 ? 0 : slot + 1;
            }

            _windowIndex = slot;
        }

        return -1;
    }

    private bool ShallCut(uint hash, long chunkSize) =>
        chunkSize >= _maximum || IsCut(hash, _discriminator - 1, _divisibilityMultiplier);

    /// <summary>
    /// Whether hash mod d == d - 1, with one 64-bit multiply and no division: that holds exactly when
    /// hash >= d - 1 and d divides hash - (d - 1), and a 32-bit n is divisible by d exactly when
    /// n * c mod 2^64 &lt;= c - 1 for c = floor((2^64 - 1) / d) + 1 (Lemire, Kaser and Kurz 2019, "Faster
    /// remainder by direct computation", §4). Only the low half of the product is needed: a
    /// multiply-high (Math.BigMul) has no hardware path in a binary built for baseline x86-64 and
    /// took two thirds of the scan's time as a software routine.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsCut(uint hash, uint target, ulong multiplier) =>
        hash >= target && (hash - target) * multiplier <= multiplier - 1;

    private void Reset()
    {
        _hash = 0;
        _windowFill = 0;
        _windowIndex = 0;
        _chunkSize = 0;
    }
}
