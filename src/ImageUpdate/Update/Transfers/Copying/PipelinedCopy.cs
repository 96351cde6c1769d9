using System.Threading.Channels;
using ImageUpdate.Foundation.Diagnostics;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Foundation.Native;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Update.Transfers.Copying;

/// <summary>
/// Copies a stream into a region of a disk or file with reading and writing overlapped: a reader task
/// fills large buffers from the source (reading, decompressing and, for verified sources, hashing all
/// happen there), a writer writes each full buffer with pwrite at its offset, and a fixed ring of
/// buffers carries them between the two, so memory stays at <see cref="BufferCount"/> x
/// <see cref="BufferSize"/> whatever the payload size. The region's end is a hard limit: a buffer that
/// would cross it is never written, and the copy fails naming both sizes. One fsync at the end.
/// <para>
/// On a block device whole blocks are written with O_DIRECT from page-aligned native buffers
/// (<see cref="AlignedBuffer"/>): the payload is written once and never read again, so copying it through
/// the device's page cache only costs a memory copy and write-back later. Measured here (1 GiB into a
/// loop device, 2 cores): dd bs=4M conv=fsync 1.1-1.4 s buffered, 0.85-0.98 s with oflag=direct. A
/// final partial block goes through the buffered descriptor; image files stay buffered (O_DIRECT gains
/// nothing on a file the page cache already holds, and tmpfs refuses it).
/// </para>
/// </summary>
public static class PipelinedCopy
{
    /// <summary>4 MiB: dd bs=4M, large enough that syscall overhead vanishes, a multiple of any sector size.</summary>
    public const int BufferSize = 4 << 20;

    /// <summary>One being filled, one being written, one spare to absorb jitter.</summary>
    public const int BufferCount = 3;

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
    /// <param name="what">Names the source and target in the too-large error.</param>
    public static async Task<long> CopyAsync(
        Stream source,
        SafeFileHandle target,
        SafeFileHandle? direct,
        int blockSize,
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
        if (direct is not null && (blockSize <= 0 || AlignedBuffer.Alignment % blockSize != 0 || offset % blockSize != 0))
        {
            throw new ArgumentException($"O_DIRECT needs a block size dividing {AlignedBuffer.Alignment} and an offset aligned to it, got {blockSize} and {offset}.", nameof(blockSize));
        }

        var buffers = new AlignedBuffer[BufferCount];
        for (var i = 0; i < BufferCount; i++)
        {
            buffers[i] = new AlignedBuffer(BufferSize);
        }

        try
        {
            return await CopyAsync(source, target, direct, blockSize, offset, capacity, sync, what, written, buffers, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Only after both tasks are done (CopyAsync never returns while the reader runs).
            foreach (var buffer in buffers)
            {
                ((IDisposable)buffer).Dispose();
            }
        }
    }

    private static async Task<long> CopyAsync(
        Stream source,
        SafeFileHandle target,
        SafeFileHandle? direct,
        int blockSize,
        long offset,
        long capacity,
        bool sync,
        string what,
        Action<long>? written,
        AlignedBuffer[] buffers,
        CancellationToken cancellationToken)
    {
        var free = Channel.CreateBounded<Memory<byte>>(BufferCount);
        var full = Channel.CreateBounded<(Memory<byte> Buffer, int Count)>(BufferCount);
        foreach (var buffer in buffers)
        {
            free.Writer.TryWrite(buffer.Memory);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = linked.Token;
        var reader = Task.Run(() => ReadAsync(source, free.Reader, full.Writer, capacity, what, token), token);

        long total = 0;
        try
        {
            await foreach (var (buffer, count) in full.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                var position = offset + total;
                var aligned = direct is null ? 0 : count - (count % blockSize);
                if (aligned > 0)
                {
                    await RandomAccess.WriteAsync(direct!, buffer[..aligned], position, token).ConfigureAwait(false);
                }

                if (aligned < count)
                {
                    await RandomAccess.WriteAsync(target, buffer[aligned..count], position + aligned, token).ConfigureAwait(false);
                }

                total += count;
                free.Writer.TryWrite(buffer);
                written?.Invoke(total);
                CrashPoint.Hit(BufferWrittenCrashPoint);
            }
        }
        catch
        {
            // Stop the reader (it may be waiting for a free buffer) and let it finish before the
            // buffers are freed and the source is disposed.
            await linked.CancelAsync().ConfigureAwait(false);
            try
            {
                await reader.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Reported below when the reader failed first; otherwise the writer's error stands.
            }

            if (reader.IsFaulted && reader.Exception!.InnerException is { } readError and not OperationCanceledException)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(readError).Throw();
            }

            throw;
        }

        // The reader completed the channel; its own failure (too large, corrupt, unverified) surfaces here.
        await reader.ConfigureAwait(false);

        // fsync of either descriptor writes back the device's dirty pages and flushes its cache.
        if (sync && total > 0 && Libc.Gpt.Fsync((int)target.DangerousGetHandle()) != 0)
        {
            throw Libc.Error("Cannot fsync", what);
        }

        return total;
    }

    private static async Task ReadAsync(
        Stream source,
        ChannelReader<Memory<byte>> free,
        ChannelWriter<(Memory<byte> Buffer, int Count)> full,
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
