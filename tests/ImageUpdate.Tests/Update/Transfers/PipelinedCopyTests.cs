using System.Security.Cryptography;
using ImageUpdate.Formats.Compression;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Foundation.Streams;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Transfers.Copying;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>The overlapped copy: exact bytes at the offset, a hard end, errors from either side, flat memory.</summary>
public sealed class PipelinedCopyTests : IDisposable
{
    private const long Offset = 12_288;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(PipelinedCopy.BufferSize)]
    [InlineData((3 * PipelinedCopy.BufferSize) + 12_345)] // more buffers than the ring holds
    public async Task The_payload_lands_byte_for_byte_at_the_offset_and_nothing_else_changes(int length)
    {
        var payload = RandomNumberGenerator.GetBytes(length);
        var (path, handle) = Target(Offset + length + 8192, fill: 0xEE);
        using (handle)
        {
            var reports = new List<long>();
            var copied = await PipelinedCopy.CopyAsync(new MemoryStream(payload), handle, null, 512, Offset, length + 8192, sync: true, null, "test", reports.Add, CancellationToken.None);
            Assert.Equal(length, copied);
            Assert.Equal(reports.Order(), reports);
            Assert.Equal(length == 0 ? [] : [length], reports.TakeLast(1));
        }

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(payload, bytes.AsSpan((int)Offset, length).ToArray());
        Assert.All(bytes.Take((int)Offset), b => Assert.Equal(0xEE, b));
        Assert.All(bytes.Skip((int)Offset + length), b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public async Task A_payload_exactly_the_size_of_the_region_fits()
    {
        var payload = RandomNumberGenerator.GetBytes(PipelinedCopy.BufferSize + 512);
        var (path, handle) = Target(Offset + payload.Length + 512, fill: 0xEE);
        using (handle)
        {
            Assert.Equal(payload.Length, await PipelinedCopy.CopyAsync(new MemoryStream(payload), handle, null, 512, Offset, payload.Length, true, null, "test", null, CancellationToken.None));
        }

        Assert.Equal(payload, File.ReadAllBytes(path).AsSpan((int)Offset, payload.Length).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(PipelinedCopy.BufferSize)]
    [InlineData((2 * PipelinedCopy.BufferSize) - 1)]
    public async Task A_payload_larger_than_the_region_fails_and_nothing_is_written_past_its_end(int capacity)
    {
        var payload = RandomNumberGenerator.GetBytes((2 * PipelinedCopy.BufferSize) + 100);
        var (path, handle) = Target(Offset + payload.Length + 4096, fill: 0xEE);
        using (handle)
        {
            var e = await Assert.ThrowsAsync<UpdateException>(() =>
                PipelinedCopy.CopyAsync(new MemoryStream(payload), handle, null, 512, Offset, capacity, true, null, "'slot'", null, CancellationToken.None));
            Assert.Contains($"larger than the partition's {capacity} bytes", e.Message);
        }

        var bytes = File.ReadAllBytes(path);
        Assert.All(bytes.Skip((int)Offset + capacity), b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public async Task A_verification_failure_of_the_source_reaches_the_caller_as_itself()
    {
        var (_, handle) = Target(Offset + (16 << 20), fill: 0);
        using (handle)
        {
            var source = new FailingStream(RandomNumberGenerator.GetBytes(9 << 20), new VerificationException("hash mismatch"));
            var e = await Assert.ThrowsAsync<VerificationException>(() =>
                PipelinedCopy.CopyAsync(source, handle, null, 512, Offset, 16 << 20, true, null, "test", null, CancellationToken.None));
            Assert.Equal("hash mismatch", e.Message);
        }
    }

    [Fact]
    public async Task A_write_error_stops_the_reader_and_is_reported()
    {
        var payload = RandomNumberGenerator.GetBytes(9 << 20);
        var path = Path.Combine(_dir.Path, "ro");
        File.WriteAllBytes(path, new byte[16 << 20]);
        using var readOnly = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        await Assert.ThrowsAnyAsync<Exception>(() =>
            PipelinedCopy.CopyAsync(new MemoryStream(payload), readOnly, null, 512, 0, 16 << 20, true, null, "test", null, CancellationToken.None));
    }

    [Fact]
    public async Task Cancellation_stops_the_copy()
    {
        var (_, handle) = Target(64 << 20, fill: 0);
        using (handle)
        {
            using var cancel = new CancellationTokenSource();
            var source = new FailingStream(new byte[32 << 20], null, afterRead: cancel.Cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                PipelinedCopy.CopyAsync(source, handle, null, 512, 0, 64 << 20, true, null, "test", null, cancel.Token));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData((5 * PipelinedCopy.BufferSize) + 777)] // more buffers than the ring holds, a short last one
    public async Task A_digest_sees_every_byte_in_order_beside_the_writes_and_completes_once_after_them(int length)
    {
        var payload = RandomNumberGenerator.GetBytes(length);
        var (path, handle) = Target(Offset + length, fill: 0);
        var digest = new RecordingDigest();
        using (handle)
        {
            Assert.Equal(length, await PipelinedCopy.CopyAsync(new MemoryStream(payload), handle, null, 512, Offset, length, true, digest, "test", null, CancellationToken.None));
        }

        Assert.Equal(payload, digest.Seen.ToArray());
        Assert.Equal(1, digest.Completions);
        Assert.Equal(payload, File.ReadAllBytes(path).AsSpan((int)Offset, length).ToArray());
    }

    [Fact]
    public async Task A_digest_verdict_fails_the_copy_after_the_last_write()
    {
        var payload = RandomNumberGenerator.GetBytes((2 * PipelinedCopy.BufferSize) + 5);
        var (path, handle) = Target(payload.Length, fill: 0);
        var written = new List<long>();
        using (handle)
        {
            var e = await Assert.ThrowsAsync<VerificationException>(() => PipelinedCopy.CopyAsync(
                new MemoryStream(payload), handle, null, 512, 0, payload.Length, true, new RecordingDigest(new VerificationException("digest says no")), "test", written.Add, CancellationToken.None));
            Assert.Equal("digest says no", e.Message);
        }

        // Everything was written first: the caller keeps the bytes as a partial copy, as before.
        Assert.Equal(payload.Length, written[^1]);
        Assert.Equal(payload, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task A_read_failure_with_a_digest_is_reported_as_itself_and_the_digest_never_completes()
    {
        var (_, handle) = Target(16 << 20, fill: 0);
        var digest = new RecordingDigest();
        using (handle)
        {
            var source = new FailingStream(RandomNumberGenerator.GetBytes(9 << 20), new DecompressionException(CompressionKind.Zstd, "corrupt"));
            var e = await Assert.ThrowsAsync<DecompressionException>(() =>
                PipelinedCopy.CopyAsync(source, handle, null, 512, 0, 16 << 20, true, digest, "test", null, CancellationToken.None));
            Assert.Equal("corrupt", e.Message);
        }

        Assert.Equal(0, digest.Completions);
    }

    [Fact]
    public async Task A_failing_digest_stops_the_copy_instead_of_starving_it_of_buffers()
    {
        // More buffers than the ring holds: a digest that died holding buffers must not leave the reader waiting forever.
        var payload = RandomNumberGenerator.GetBytes((PipelinedCopy.BufferCount + 3) * PipelinedCopy.BufferSize);
        var (_, handle) = Target(payload.Length, fill: null);
        using (handle)
        {
            var copy = PipelinedCopy.CopyAsync(new MemoryStream(payload), handle, null, 512, 0, payload.Length, false, new ThrowingDigest(), "test", null, CancellationToken.None);
            var e = await Assert.ThrowsAsync<IOException>(() => copy.WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal("digest broke", e.Message);
        }
    }

    [Fact]
    public async Task A_failed_write_names_the_region_and_the_byte_it_failed_at()
    {
        // Regression (tests/powercut/run-faults, case slot: dm-error under the slot): the bare error
        // was "Input/output error", naming neither the device nor the step. /dev/full fails every write.
        using var handle = File.OpenHandle("/dev/full", FileMode.Open, FileAccess.Write);
        var e = await Assert.ThrowsAsync<IOException>(() =>
            PipelinedCopy.CopyAsync(new MemoryStream(new byte[4096]), handle, null, 512, 0, 4096, false, null, "'/dev/mapper/sys-part2' from 'demo_2.root.raw'", null, CancellationToken.None));
        Assert.StartsWith("Failed to write '/dev/mapper/sys-part2' from 'demo_2.root.raw' at byte 0: No space left on device", e.Message, StringComparison.Ordinal);
        Assert.Equal(28, e.HResult & 0xFFFF); // ENOSPC, still there for whoever looks at it
    }

    [Fact]
    public async Task A_long_synced_copy_fsyncs_while_it_runs_not_only_at_its_end()
    {
        var length = (int)(3 * RollingSync.Interval) + 4096;
        var (path, handle) = Target(length, fill: null);
        var rolling = new RollingSync(handle, "test");
        var buffers = Enumerable.Range(0, PipelinedCopy.BufferCount).Select(_ => new AlignedBuffer(PipelinedCopy.BufferSize)).ToArray();
        try
        {
            using (handle)
            {
                var region = new PipelinedCopy.Region(handle, null, 512, 0, length, "test");
                Assert.Equal(length, await PipelinedCopy.CopyAsync(new ZeroStream(length), region, rolling, null, null, buffers, CancellationToken.None));
            }
        }
        finally
        {
            foreach (var buffer in buffers)
            {
                ((IDisposable)buffer).Dispose();
            }
        }

        // One per interval at most (never two at once), at least one before the final fsync; a regular
        // file is fsynced itself.
        Assert.InRange(rolling.Started, 1, 3);
        Assert.False(rolling.SyncsBackingFile);
        Assert.Equal(length, new FileInfo(path).Length);
    }

    /// <summary>
    /// Issue 15: a copy through the page cache (a slot of a disk image file) drops each durable stretch
    /// from it and the rest after the final fsync, so a gigabyte of payload does not push a small host's
    /// working set out; and only its own region: the bytes in front of it, written beforehand, stay.
    /// </summary>
    [Fact]
    public async Task A_synced_copy_through_the_page_cache_leaves_none_of_its_region_there()
    {
        TestEnvironment.RequireTools("apt-get install util-linux", "fincore");
        TestEnvironment.Require(TestProcess.Run("stat", ["-f", "-c", "%T", _dir.Path]).Stdout.Trim() != "tmpfs", "the directory is on tmpfs, whose pages are its cache");
        const int prefix = 4 << 20;
        // A tail of 8 MiB behind the last possible step: only the drop after the final fsync empties it.
        var length = (int)(2 * RollingSync.Interval) + (8 << 20);
        var (path, handle) = Target(prefix + length, fill: null);
        using (handle)
        {
            RandomAccess.Write(handle, RandomNumberGenerator.GetBytes(prefix), 0);
            Assert.Equal(length, await PipelinedCopy.CopyAsync(new ZeroStream(length), handle, null, 512, prefix, length, sync: true, null, "test", null, CancellationToken.None));
        }

        var cached = CachedBytes(path);
        Assert.True(cached >= prefix && cached < prefix + (1 << 20), $"{cached} bytes of the file are cached after a {length}-byte copy behind a {prefix}-byte prefix");
    }

    /// <summary>
    /// Each step drops its own durable stretch when its fsync returns, not only the finish: what was
    /// written after the step started stays (it is not durable yet), and so do the bytes in front.
    /// </summary>
    [Fact]
    public async Task A_step_drops_the_stretch_it_made_durable_and_nothing_else()
    {
        TestEnvironment.RequireTools("apt-get install util-linux", "fincore");
        TestEnvironment.Require(TestProcess.Run("stat", ["-f", "-c", "%T", _dir.Path]).Stdout.Trim() != "tmpfs", "the directory is on tmpfs, whose pages are its cache");
        const int prefix = 4 << 20;
        const int tail = 8 << 20;
        var (path, handle) = Target(prefix + RollingSync.Interval + tail, fill: null);
        using (handle)
        {
            RandomAccess.Write(handle, new byte[prefix + RollingSync.Interval + tail], 0);
            var rolling = new RollingSync(handle, "test", cachedFrom: prefix);
            rolling.Written(RollingSync.Interval);
            await rolling.DrainAsync();
            Assert.Equal(1, rolling.Started);
        }

        var cached = CachedBytes(path);
        Assert.True(cached >= prefix + tail && cached < prefix + tail + (1 << 20), $"{cached} bytes of the file are cached after one step over {RollingSync.Interval} bytes, with {prefix} before and {tail} after");
    }

    [Fact]
    public async Task A_long_synced_copy_into_a_loop_device_fsyncs_its_file_while_it_runs()
    {
        GptTools.RequireRoot("loop devices");
        GptTools.Require("losetup");
        var length = (int)(2 * RollingSync.Interval) + 4096;
        var payload = RandomNumberGenerator.GetBytes(length);
        var image = GptTools.NewImage(_dir.Path, "disk.img", Offset + length);
        var loop = GptTools.Run("losetup", ["--find", "--show", image]).Trim();
        try
        {
            using var device = File.OpenHandle(loop, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            var backing = LoopBackingFile.TryOpen(device);
            Assert.NotNull(backing);
            var rolling = new RollingSync(device, loop, backing);
            var buffers = Enumerable.Range(0, PipelinedCopy.BufferCount).Select(_ => new AlignedBuffer(PipelinedCopy.BufferSize)).ToArray();
            try
            {
                var region = new PipelinedCopy.Region(device, null, 512, Offset, length, loop);
                Assert.Equal(length, await PipelinedCopy.CopyAsync(new MemoryStream(payload), region, rolling, null, null, buffers, CancellationToken.None));
            }
            finally
            {
                backing.Value.Handle.Dispose();
                foreach (var buffer in buffers)
                {
                    ((IDisposable)buffer).Dispose();
                }
            }

            Assert.True(rolling.SyncsBackingFile);
            Assert.InRange(rolling.Started, 1, 2);
        }
        finally
        {
            GptTools.Run("losetup", ["--detach", loop], check: false);
        }

        // Through the device into its file, byte for byte at the offset.
        using var file = File.OpenRead(image);
        file.Position = Offset;
        var written = new byte[length];
        file.ReadExactly(written);
        Assert.Equal(payload, written);
    }

    [Fact]
    public async Task A_synced_copy_fsyncs_a_loop_devices_file_it_finds_itself_and_anything_else_directly()
    {
        GptTools.RequireRoot("loop devices");
        GptTools.Require("losetup");
        var length = (int)RollingSync.Interval + 4096;
        var image = GptTools.NewImage(_dir.Path, "disk.img", length);
        var loop = GptTools.Run("losetup", ["--find", "--show", image]).Trim();
        try
        {
            using var device = File.OpenHandle(loop, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            using var syncs = SyncRecorder.Start();
            await PipelinedCopy.CopyAsync(new ZeroStream(length), device, null, 512, 0, length, sync: true, null, loop, null, CancellationToken.None);
            Assert.Equal([new SyncCall("fsync", image)], syncs.Calls);
        }
        finally
        {
            GptTools.Run("losetup", ["--detach", loop], check: false);
        }

        var (_, handle) = Target(length, fill: null);
        using (handle)
        {
            using var syncs = SyncRecorder.Start();
            await PipelinedCopy.CopyAsync(new ZeroStream(length), handle, null, 512, 0, length, sync: true, null, "file", null, CancellationToken.None);
            Assert.Equal([new SyncCall("fsync", "file")], syncs.Calls);
        }
    }

    private static long CachedBytes(string path) =>
        long.Parse(TestProcess.Run("fincore", ["--bytes", "--noheadings", "--output=RES", path]).Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private (string Path, SafeFileHandle Handle) Target(long size, byte? fill)
    {
        var path = Path.Combine(_dir.Path, $"target-{Guid.NewGuid():N}");
        using (var file = new FileStream(path, FileMode.CreateNew))
        {
            if (fill is { } value)
            {
                file.Write(Enumerable.Repeat(value, (int)size).ToArray());
            }
            else
            {
                file.SetLength(size);
            }
        }

        return (path, File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite));
    }

    /// <summary>Hands out its bytes, then throws <c>error</c> where a verifying stream would (on the read that finds the end).</summary>
    private sealed class FailingStream(byte[] data, Exception? error, Action? afterRead = null) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = base.Read(buffer, offset, count);
            afterRead?.Invoke();
            return read == 0 && count > 0 && error is not null ? throw error : read;
        }

        public override int Read(Span<byte> buffer)
        {
            var copy = new byte[buffer.Length];
            var n = Read(copy, 0, copy.Length);
            copy.AsSpan(0, n).CopyTo(buffer);
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span));
        }
    }

    /// <summary>Keeps every byte it is given and counts its completions; completes with <c>verdict</c> thrown, if any.</summary>
    private sealed class RecordingDigest(Exception? verdict = null) : IBufferDigest
    {
        public MemoryStream Seen { get; } = new();

        public int Completions { get; private set; }

        public void Append(ReadOnlySpan<byte> data) => Seen.Write(data);

        public void Complete()
        {
            Completions++;
            if (verdict is not null)
            {
                throw verdict;
            }
        }
    }

    /// <summary>Fails on the second buffer it is given.</summary>
    private sealed class ThrowingDigest : IBufferDigest
    {
        private int _appended;

        public void Append(ReadOnlySpan<byte> data)
        {
            if (++_appended == 2)
            {
                throw new IOException("digest broke");
            }
        }

        public void Complete() => throw new InvalidOperationException("never reached");
    }
}
