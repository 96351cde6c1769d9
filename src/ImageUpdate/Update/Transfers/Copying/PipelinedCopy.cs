using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using ImageUpdate.Foundation.Diagnostics;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Foundation.Streams;
using ImageUpdate.Platform.FileSystem;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Update.Transfers.Copying;

/// <summary>
/// Copies a stream into a region of a disk or file with reading, hashing and writing overlapped: a
/// reader task fills large buffers from the source (reading and decompressing happen there), a writer
/// writes each full buffer with pwrite at its offset, and, for a verified source whose bytes are the
/// payload itself, a digest task hashes the same buffer while it is written; a fixed ring of buffers
/// carries them between the stages, so memory stays at <see cref="BufferCount"/> x
/// <see cref="BufferSize"/> whatever the payload size, and the whole takes about as long as the
/// slowest stage rather than their sum. The region's end is a hard limit: a buffer that would cross it
/// is never written, and the copy fails naming both sizes. With <c>sync</c>, an fsync every
/// <see cref="RollingSync.Interval"/> bytes runs beside the copy (for a loop device over a file, an fsync
/// of that file instead) and one more at the end.
/// <para>
/// On a block device whole blocks are written with O_DIRECT from page-aligned native buffers
/// (<see cref="AlignedBuffer"/>): the payload is written once and never read again, so copying it through
/// the device's page cache only costs a memory copy and write-back later. Measured here (1 GiB into a
/// loop device, 2 cores): dd bs=4M conv=fsync 1.1-1.4 s buffered, 0.85-0.98 s with oflag=direct. A
/// final partial block goes through the buffered descriptor. A slot of a disk image file is written
/// through the page cache, and each durable stretch dropped from it (<see cref="RollingSync"/>): there
/// O_DIRECT writes wait behind every rolling fsync's journal commit and disk flush, where buffered ones
/// go on beside it (1 GiB verified into an image file on ext4, 6 alternated rounds: 1.60-1.77 s with
/// O_DIRECT, 0.91-0.97 s buffered; tmpfs refuses O_DIRECT anyway).
/// </para>
/// </summary>
public static class PipelinedCopy
{
    /// <summary>4 MiB: dd bs=4M, large enough that syscall overhead vanishes, a multiple of any sector size.</summary>
    public const int BufferSize = 4 << 20;

    /// <summary>One being filled, one being hashed or written, two spare to absorb jitter between the stages.</summary>
    public const int BufferCount = 4;

    /// <summary>The crash point hit after each buffer is written (tests kill the process mid-payload with it).</summary>
    public const string BufferWrittenCrashPoint = "write-buffer";

    /// <summary>
    /// Copies all of <paramref name="source"/> to <paramref name="target"/> at <paramref name="offset"/>,
    /// at most <paramref name="capacity"/> bytes; reports the running total to <paramref name="written"/>
    /// after each write; fsyncs when <paramref name="sync"/>. Returns the number of bytes copied.
    /// </summary>
    /// <param name="direct">
    /// The same disk opened with O_DIRECT, or null: whole blocks of <paramref name="blockSize"/> at
    /// block-aligned offsets go through it, a final partial block through <paramref name="target"/>.
    /// </param>
    /// <param name="digest">
    /// Sees every byte of <paramref name="source"/> in order, beside the writes; its
    /// <see cref="IBufferDigest.Complete"/> failure fails the copy after the last write. Null: none.
    /// </param>
    /// <param name="what">Names the source and target in the too-large error.</param>
    public static async Task<long> CopyAsync(
        Stream source,
        SafeFileHandle target,
        SafeFileHandle? direct,
        int blockSize,
        long offset,
        long capacity,
        bool sync,
        IBufferDigest? digest,
        string what,
        Action<long>? written,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        if (direct is not null && (blockSize <= 0 || AlignedBuffer.Alignment % blockSize != 0 || offset % blockSize != 0))
        {
            throw new ArgumentException($"O_DIRECT needs a block size dividing {AlignedBuffer.Alignment} and an offset aligned to it, got {blockSize} and {offset}.", nameof(blockSize));
        }

        var buffers = new AlignedBuffer[BufferCount];
        for (var i = 0; i < BufferCount; i++)
        {
            buffers[i] = new AlignedBuffer(BufferSize);
        }

        // A loop device's file, when the target is one: the rolling syncs fsync it instead of the device.
        var backing = sync ? LoopBackingFile.TryOpen(target) : null;
        try
        {
            var region = new Region(target, direct, blockSize, offset, capacity, what);
            return await CopyAsync(source, region, sync ? new RollingSync(target, what, backing, direct is null ? offset : null) : null, digest, written, buffers, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            backing?.Handle.Dispose();
            // Only after every stage is done (CopyAsync never returns while one runs).
            foreach (var buffer in buffers)
            {
                ((IDisposable)buffer).Dispose();
            }
        }
    }

    /// <param name="rolling">Syncs while the copy runs and the final fsync at the end; null: no fsync at all.</param>
    internal static async Task<long> CopyAsync(
        Stream source,
        Region region,
        RollingSync? rolling,
        IBufferDigest? digest,
        Action<long>? written,
        AlignedBuffer[] buffers,
        CancellationToken cancellationToken)
    {
        var free = Channel.CreateBounded<Memory<byte>>(buffers.Length);
        var full = Channel.CreateBounded<Filled>(buffers.Length);
        // The digest runs on a thread of its own, not the pool's: it computes for the whole copy.
        using var toDigest = digest is null ? null : new BlockingCollection<Filled>(buffers.Length);
        foreach (var buffer in buffers)
        {
            free.Writer.TryWrite(buffer.Memory);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = linked.Token;
        var reader = Task.Run(() => ReadAsync(source, free, full.Writer, toDigest, region, token), token);
        var digester = digest is null
            ? Task.CompletedTask
            : Task.Factory.StartNew(() => Digest(toDigest!, digest, free.Writer, linked), token, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        long total = 0;
        try
        {
            await foreach (var filled in full.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                await region.WriteAsync(filled.Data, total, token).ConfigureAwait(false);
                total += filled.Data.Length;
                filled.Release(free.Writer);
                rolling?.Written(total);
                written?.Invoke(total);
                CrashPoint.Hit(BufferWrittenCrashPoint);
            }

            // The reader completed the channels; its own failure (too large, corrupt) surfaces here,
            // then the digest's verdict once it has seen every buffer.
            await reader.ConfigureAwait(false);
            await digester.ConfigureAwait(false);
            digest?.Complete();
        }
        catch (Exception writeError)
        {
            // Stop every stage (the reader may wait for a free buffer), let all of them finish before
            // the buffers are freed and the source is disposed, and report the first cause: the
            // reader's, else the digest's, else the writer's own.
            await linked.CancelAsync().ConfigureAwait(false);
            await Quietly(reader).ConfigureAwait(false);
            await Quietly(digester).ConfigureAwait(false);
            if (rolling is not null)
            {
                await Quietly(rolling.DrainAsync()).ConfigureAwait(false);
            }

            foreach (var stage in new[] { reader, digester })
            {
                if (stage.IsFaulted && stage.Exception!.InnerException is { } cause and not OperationCanceledException && cause != writeError)
                {
                    ExceptionDispatchInfo.Capture(cause).Throw();
                }
            }

            throw;
        }

        if (rolling is not null && total > 0)
        {
            await rolling.FinishAsync(total).ConfigureAwait(false);
        }

        return total;
    }

    private static async Task Quietly(Task stage)
    {
        try
        {
            await stage.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The caller picks which failure to report.
        }
    }

    private static async Task ReadAsync(
        Stream source,
        Channel<Memory<byte>> free,
        ChannelWriter<Filled> full,
        BlockingCollection<Filled>? toDigest,
        Region region,
        CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            long total = 0;
            while (true)
            {
                var buffer = await free.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var count = await source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (count == 0)
                {
                    free.Writer.TryWrite(buffer);
                    break;
                }

                if (count > region.Capacity - total)
                {
                    throw new UpdateException($"The payload for {region.What} is larger than the partition's {region.Capacity} bytes (more than {total + count} bytes read), refusing to write past its end.");
                }

                total += count;
                var filled = new Filled(buffer, count, toDigest is null ? 1 : 2);
                await full.WriteAsync(filled, cancellationToken).ConfigureAwait(false);

                // Never blocks: the queue holds as many items as there are buffers.
                toDigest?.Add(filled, cancellationToken);

                // A short read means the end was reached, but the loop reads once more anyway: a
                // verifying source checks its hash (or, deferred, notes its end) on the read that returns 0.
            }
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            full.TryComplete(failure);
            toDigest?.CompleteAdding();
        }
    }

    /// <summary>
    /// Hashes the buffers in the order they were read; stops early when the copy is cancelled, and
    /// cancels the copy when it fails (the buffers it holds would never come back to the reader).
    /// </summary>
    private static void Digest(BlockingCollection<Filled> toDigest, IBufferDigest digest, ChannelWriter<Memory<byte>> free, CancellationTokenSource copy)
    {
        try
        {
            foreach (var filled in toDigest.GetConsumingEnumerable(copy.Token))
            {
                digest.Append(filled.Data.Span);
                filled.Release(free);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            copy.Cancel();
            throw;
        }
    }

    /// <summary>Where the bytes go: the disk or file, its O_DIRECT twin, and the region's bounds.</summary>
    internal sealed class Region(SafeFileHandle target, SafeFileHandle? direct, int blockSize, long offset, long capacity, string what)
    {
        public SafeFileHandle Target { get; } = target;

        public SafeFileHandle? Direct { get; } = direct;

        public int BlockSize { get; } = blockSize;

        public long Offset { get; } = offset;

        public long Capacity { get; } = capacity;

        public string What { get; } = what;

        /// <summary>
        /// Writes <paramref name="data"/> at <paramref name="position"/> bytes into the region. A
        /// failed write names the region and the byte it failed at: the handles have no path, so the
        /// bare error would say only "Input/output error" (found by tests/powercut/run-faults, case slot).
        /// </summary>
        public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, long position, CancellationToken cancellationToken)
        {
            try
            {
                await WriteUnnamedAsync(data, position, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new IOException($"Failed to write {What} at byte {position}: {e.Message}", e) { HResult = e.HResult };
            }
        }

        private async ValueTask WriteUnnamedAsync(ReadOnlyMemory<byte> data, long position, CancellationToken cancellationToken)
        {
            var at = Offset + position;
            var aligned = Direct is null ? 0 : data.Length - (data.Length % BlockSize);
            if (aligned > 0)
            {
                await RandomAccess.WriteAsync(Direct!, data[..aligned], at, cancellationToken).ConfigureAwait(false);
            }

            if (aligned < data.Length)
            {
                await RandomAccess.WriteAsync(Target, data[aligned..], at + aligned, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A filled buffer on its way through the stages; back in the ring when the last of them releases it.</summary>
    private sealed class Filled(Memory<byte> buffer, int count, int stages)
    {
        private readonly Memory<byte> _buffer = buffer;
        private int _stages = stages;

        public Memory<byte> Data => _buffer[..count];

        public void Release(ChannelWriter<Memory<byte>> free)
        {
            if (Interlocked.Decrement(ref _stages) == 0)
            {
                free.TryWrite(_buffer);
            }
        }
    }
}
