using System.Threading.Channels;
using ImageUpdate.Diagnostics;
using ImageUpdate.Errors;
using ImageUpdate.Native;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Transfers.Partitions;

/// <summary>
/// Copies a stream into a region of a disk or file with reading and writing overlapped: a reader task
/// fills large buffers from the source (reading, decompressing and, for verified sources, hashing all
/// happen there), a writer writes each full buffer with pwrite at its offset, and a fixed ring of
/// buffers carries them between the two, so memory stays at <see cref="BufferCount"/> x
/// <see cref="BufferSize"/> whatever the payload size. The region's end is a hard limit: a buffer that
/// would cross it is never written, and the copy fails naming both sizes. One fsync at the end.
/// <para>
/// Writes go through the page cache. O_DIRECT was measured on this project's machines (a loop device
/// over a file on ext4/overlay): dd with direct I/O is faster there, but O_DIRECT needs sector-aligned
/// lengths and memory, has no effect on image files on tmpfs and varies with the backing store; the
/// buffered pipeline already runs at dd's speed (tests/bench/run-bench), so it is not used.
/// </para>
/// </summary>
public static class PipelinedCopy
{
    /// <summary>4 MiB: dd bs=4M, large enough that syscall overhead vanishes, a multiple of any sector size.</summary>
    public const int BufferSize = 4 << 20;

    /// <summary>One being filled, one being written, one spare to absorb jitter.</summary>
    public const int BufferCount = 3;

    /// <summary>The crash point hit after each buffer is written (tests kill the process mid-payload with it).</summary>
    public const string BufferWrittenCrashPoint = "partition-write-buffer";

    /// <summary>
    /// Copies all of <paramref name="source"/> to <paramref name="target"/> at <paramref name="offset"/>,
    /// at most <paramref name="capacity"/> bytes; reports the running total to <paramref name="written"/>
    /// after each write; fsyncs when <paramref name="sync"/>. Returns the number of bytes copied.
    /// </summary>
    /// <param name="what">Names the source and target in the too-large error.</param>
    public static async Task<long> CopyAsync(
        Stream source,
        SafeFileHandle target,
        long offset,
        long capacity,
        bool sync,
        string what,
        Action<long>? written,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);

        var free = Channel.CreateBounded<byte[]>(BufferCount);
        var full = Channel.CreateBounded<(byte[] Buffer, int Count)>(BufferCount);
        for (var i = 0; i < BufferCount; i++)
        {
            free.Writer.TryWrite(GC.AllocateUninitializedArray<byte>(BufferSize));
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = linked.Token;
        var reader = Task.Run(() => ReadAsync(source, free.Reader, full.Writer, capacity, what, token), token);

        long total = 0;
        try
        {
            await foreach (var (buffer, count) in full.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                await RandomAccess.WriteAsync(target, buffer.AsMemory(0, count), offset + total, token).ConfigureAwait(false);
                total += count;
                free.Writer.TryWrite(buffer);
                written?.Invoke(total);
                CrashPoint.Hit(BufferWrittenCrashPoint);
            }
        }
        catch
        {
            // Stop the reader (it may be waiting for a free buffer) and let it finish before the
            // source is disposed by the caller.
            await linked.CancelAsync().ConfigureAwait(false);
            try
            {
                await reader.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The writer's own error is the one to report, unless the reader failed first (below).
            }

            if (reader.IsFaulted && reader.Exception!.InnerException is { } readError and not OperationCanceledException)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(readError).Throw();
            }

            throw;
        }

        // The reader completed the channel; its own failure (too large, corrupt, unverified) surfaces here.
        await reader.ConfigureAwait(false);

        if (sync && total > 0)
        {
            if (Libc.Gpt.Fsync((int)target.DangerousGetHandle()) != 0)
            {
                throw Libc.Error("Cannot fsync", what);
            }
        }

        return total;
    }

    private static async Task ReadAsync(
        Stream source,
        ChannelReader<byte[]> free,
        ChannelWriter<(byte[] Buffer, int Count)> full,
        long capacity,
        string what,
        CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            long total = 0;
            while (true)
            {
                var buffer = await free.ReadAsync(cancellationToken).ConfigureAwait(false);
                var count = await source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (count == 0)
                {
                    break;
                }

                if (count > capacity - total)
                {
                    throw new UpdateException($"The payload for {what} is larger than the partition's {capacity} bytes (more than {total + count} bytes read), refusing to write past its end.");
                }

                total += count;
                // A short read means the end was reached, but the loop reads once more anyway: a
                // verifying source checks its hash on the read that returns 0.
                await full.WriteAsync((buffer, count), cancellationToken).ConfigureAwait(false);
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
        }
    }
}
