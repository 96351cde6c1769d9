using System.IO.Compression;
using System.Security.Cryptography;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>
/// A partition target on disk images made by sfdisk (no root needed): slot choice, every state change
/// checked with sfdisk --json and sgdisk -v, the size limits, and the leftovers of failures.
/// </summary>
public sealed class PartitionTargetTests
{
    private const int Sector = 512;
    private static readonly Guid Root = SlotDisk.RootType;
    private static readonly Guid PartialRoot = PartitionStates.PartialTypeFor(Root);
    private static readonly Guid PendingRoot = PartitionStates.PendingTypeFor(Root);

    // Slot 1: 1 MiB free, slot 2: 512 KiB free, slot 3: 512 KiB holding v1, slot 4: a verity slot.
    private static readonly string Layout = $"""
        size=2048, type={SlotDisk.Root}, name=_empty
        size=1024, type={SlotDisk.Root}, name=_empty
        size=1024, type={SlotDisk.Root}, name=part1-v1
        size=1024, type={SlotDisk.Verity}, name=_empty
        """;

    [Fact]
    public async Task Acquire_takes_the_smallest_slot_that_fits_and_install_makes_it_final()
    {
        RequireTools();

        using var disk = new SlotDisk(Layout);
        var target = disk.Target();
        var inventory = await target.LoadAsync(CancellationToken.None);
        Assert.Equal(2, inventory.EmptySlots);
        Assert.Equal("v1", Assert.Single(inventory.Instances).Version);

        var payload = RandomNumberGenerator.GetBytes(300 * 1024);
        var uuid = Guid.NewGuid();
        var metadata = new InstanceMetadata { Version = "v2", PartitionUuid = uuid, ReadOnly = true, GrowFileSystem = false };
        var prepared = target.Prepare(metadata);
        Assert.Equal("part1-v2", prepared.FinalName);
        var progress = new List<double>();
        await target.AcquireAsync(prepared, Payload(disk.WriteSource("part1-v2.raw", payload)), metadata, new SyncProgress(progress.Add), CancellationToken.None);

        var table = disk.Table();
        GptAssert.SgdiskFindsNoProblems(disk.Path);
        var slot = table.Partitions.Single(p => p.Number == 2);
        Assert.Equal((PendingRoot, "part1-v2", uuid, PartitionAttributes.ReadOnly), (slot.Type, slot.Name, slot.Uuid, slot.Attributes));
        Assert.Equal(payload, disk.ReadBytes((long)slot.Start * Sector, payload.Length));
        Assert.Equal(("_empty", Root), (table.Partitions[0].Name, table.Partitions[0].Type));
        Assert.Equal(progress.Order(), progress);
        Assert.Equal(1.0, progress[^1]);

        var pending = (await target.LoadAsync(CancellationToken.None)).Find("v2")!;
        Assert.True(pending.IsPending);
        Assert.Equal(disk.Path + "2", pending.Path);

        // A fresh target (as `update --offline` makes) adopts the pending slot and installs it.
        var again = disk.Target();
        var adopted = again.Prepare(metadata);
        var copy = again.AdoptPending(adopted, (await again.LoadAsync(CancellationToken.None)).Find("v2")!);
        Assert.Equal(disk.Path + "2", await again.InstallAsync(copy, CancellationToken.None));
        var installed = disk.Table().Partitions.Single(p => p.Number == 2);
        Assert.Equal((Root, "part1-v2", uuid, PartitionAttributes.ReadOnly), (installed.Type, installed.Name, installed.Uuid, installed.Attributes));
        GptAssert.SgdiskFindsNoProblems(disk.Path);
        var final = (await disk.Target().LoadAsync(CancellationToken.None)).Find("v2")!;
        Assert.False(final.IsPending || final.IsPartial);
        Assert.True(final.Metadata.ReadOnly);
    }

    [Fact]
    public async Task A_payload_of_known_size_larger_than_every_free_slot_is_refused_before_anything_is_written()
    {
        RequireTools();

        using var disk = new SlotDisk(Layout);
        var before = File.ReadAllBytes(disk.Path);
        var target = disk.Target();
        await target.LoadAsync(CancellationToken.None);
        var metadata = new InstanceMetadata { Version = "v2" };
        var prepared = target.Prepare(metadata);
        var source = disk.WriteSource("part1-v2.raw", RandomNumberGenerator.GetBytes((1 << 20) + 1));

        var e = await Assert.ThrowsAsync<UpdateException>(() => target.AcquireAsync(prepared, Payload(source), metadata, null, CancellationToken.None));
        Assert.Contains("1048577 bytes", e.Message);
        Assert.Equal(before, File.ReadAllBytes(disk.Path));
    }

    [Fact]
    public async Task A_slot_smaller_than_the_payload_is_refused_naming_both_sizes_and_the_disk_is_untouched()
    {
        // Issue 18: refused before anything is written, naming both sizes; the slots' bytes and
        // labels (the whole image: both GPT copies and every slot) are as they were.
        RequireTools();

        using var disk = new SlotDisk(Layout);
        var before = File.ReadAllBytes(disk.Path);
        var target = disk.Target();
        await target.LoadAsync(CancellationToken.None);
        var metadata = new InstanceMetadata { Version = "v2" };
        var source = disk.WriteSource("part1-v2.raw", RandomNumberGenerator.GetBytes((1 << 20) + 512));

        var e = await Assert.ThrowsAsync<UpdateException>(() => target.AcquireAsync(target.Prepare(metadata), Payload(source), metadata, null, CancellationToken.None));

        Assert.Equal(
            $"No available partition of a suitable size found for '{source}' in '{disk.Path}' (type root-x86-64): the payload is 1049088 bytes, the largest free slot ({disk.Path}1) holds 1048576 bytes.",
            e.Message);
        Assert.Equal(before, File.ReadAllBytes(disk.Path));
        GptAssert.SgdiskFindsNoProblems(disk.Path);
    }

    [Fact]
    public async Task A_download_whose_content_length_exceeds_every_free_slot_is_refused_before_anything_is_written()
    {
        // A url-file payload has no file length: its size is the response's Content-Length
        // (ForwardReadStream.ExpectedLength), which is checked like any other known size.
        RequireTools();

        using var disk = new SlotDisk(Layout);
        var before = File.ReadAllBytes(disk.Path);
        var target = disk.Target();
        await target.LoadAsync(CancellationToken.None);
        var metadata = new InstanceMetadata { Version = "v2" };
        var bytes = RandomNumberGenerator.GetBytes((1 << 20) + 4096);
        var download = SourcePayload.FromStream(PayloadKind.File, "https://example.com/part1-v2.raw", _ => Task.FromResult<Stream>(new Download(bytes)));

        var e = await Assert.ThrowsAsync<UpdateException>(() => target.AcquireAsync(target.Prepare(metadata), download, metadata, null, CancellationToken.None));

        Assert.Equal(
            $"No available partition of a suitable size found for 'https://example.com/part1-v2.raw' in '{disk.Path}' (type root-x86-64): the payload is 1052672 bytes, the largest free slot ({disk.Path}1) holds 1048576 bytes.",
            e.Message);
        Assert.Equal(before, File.ReadAllBytes(disk.Path));
    }

    /// <summary>A response body: forward only, its length told beforehand as Content-Length tells it.</summary>
    private sealed class Download(byte[] bytes) : ImageUpdate.Foundation.Streams.ForwardReadStream
    {
        private readonly MemoryStream _body = new(bytes);

        public override long? ExpectedLength => bytes.Length;

        public override int Read(Span<byte> buffer) => _body.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _body.ReadAsync(buffer, cancellationToken);
    }

    [Fact]
    public async Task A_compressed_payload_whose_size_the_pattern_gives_is_refused_before_anything_is_written()
    {
        // @s is the uncompressed size: a compressed payload too large for every free slot is
        // refused as one of known length is, before the claim's GPT write.
        RequireTools();

        using var disk = new SlotDisk(Layout);
        var before = File.ReadAllBytes(disk.Path);
        var target = disk.Target();
        await target.LoadAsync(CancellationToken.None);
        var metadata = new InstanceMetadata { Version = "v2", Size = 3 << 20 };
        var source = disk.WriteSource("part1-v2.raw.gz", Gzip(new byte[3 << 20]));

        var e = await Assert.ThrowsAsync<UpdateException>(() => target.AcquireAsync(target.Prepare(metadata), Payload(source), metadata, null, CancellationToken.None));

        Assert.Equal(
            $"No available partition of a suitable size found for '{source}' in '{disk.Path}' (type root-x86-64): the payload is 3145728 bytes, the largest free slot ({disk.Path}1) holds 1048576 bytes.",
            e.Message);
        Assert.Equal(before, File.ReadAllBytes(disk.Path));
    }

    [Fact]
    public async Task The_size_from_the_pattern_chooses_the_slot_of_a_compressed_payload()
    {
        RequireTools();

        using var disk = new SlotDisk(Layout);
        var payload = RandomNumberGenerator.GetBytes(700 * 1024);
        var target = disk.Target();
        await target.LoadAsync(CancellationToken.None);
        var metadata = new InstanceMetadata { Version = "v2", Size = (ulong)payload.Length };
        await target.AcquireAsync(target.Prepare(metadata), Payload(disk.WriteSource("part1-v2.raw.gz", Gzip(payload))), metadata, null, CancellationToken.None);

        var slot = disk.Table().Partitions.Single(p => p.Name == "part1-v2");
        Assert.Equal(1, slot.Number); // the 1 MiB slot: the 512 KiB one is too small for @s
        Assert.Equal(payload, disk.ReadBytes((long)slot.Start * Sector, payload.Length));
    }

    [Fact]
    public async Task A_compressed_payload_larger_than_its_slot_stops_at_the_slot_end_and_the_slot_is_freed_again()
    {
        RequireTools();

        using var disk = new SlotDisk(Layout);
        var table = disk.Table();
        var small = table.Partitions.Single(p => p.Number == 2);
        var next = table.Partitions.Single(p => p.Number == 3);
        disk.Fill((long)next.Start * Sector, 4096, 0xEE);

        var target = disk.Target();
        await target.LoadAsync(CancellationToken.None);
        var metadata = new InstanceMetadata { Version = "v2" };
        var source = disk.WriteSource("part1-v2.raw.gz", Gzip(RandomNumberGenerator.GetBytes(700 * 1024)));
        var e = await Assert.ThrowsAsync<UpdateException>(() => target.AcquireAsync(target.Prepare(metadata), Payload(source), metadata, null, CancellationToken.None));
        Assert.Contains($"larger than the partition's {small.Size * Sector} bytes", e.Message);

        Assert.All(disk.ReadBytes((long)next.Start * Sector, 4096), b => Assert.Equal(0xEE, b));
        var after = disk.Table().Partitions.Single(p => p.Number == 2);
        Assert.Equal((Root, "_empty"), (after.Type, after.Name));
        GptAssert.SgdiskFindsNoProblems(disk.Path);
    }

    [Fact]
    public async Task A_compressed_payload_with_trailing_garbage_is_refused_and_the_slot_freed()
    {
        RequireTools();

        using var disk = new SlotDisk(Layout);
        var target = disk.Target();
        await target.LoadAsync(CancellationToken.None);
        var metadata = new InstanceMetadata { Version = "v2" };
        var source = disk.WriteSource("part1-v2.raw.gz", [.. Gzip(RandomNumberGenerator.GetBytes(1000)), .. "garbage"u8.ToArray()]);

        await Assert.ThrowsAnyAsync<ImageUpdateException>(() => target.AcquireAsync(target.Prepare(metadata), Payload(source), metadata, null, CancellationToken.None));
        Assert.All(disk.Table().Partitions.Where(p => p.Number <= 2), p => Assert.Equal((Root, "_empty"), (p.Type, p.Name)));
    }

    [Fact]
    public async Task A_payload_rejected_by_verification_is_left_partial_with_its_final_label()
    {
        RequireTools();

        using var disk = new SlotDisk(Layout);
        var target = disk.Target();
        await target.LoadAsync(CancellationToken.None);
        var metadata = new InstanceMetadata { Version = "v2" };
        var payload = SourcePayload.FromStream(PayloadKind.File, "http://example/part1-v2.raw", _ =>
            Task.FromResult<Stream>(new RejectingStream(RandomNumberGenerator.GetBytes(100 * 1024))));

        await Assert.ThrowsAsync<VerificationException>(() => target.AcquireAsync(target.Prepare(metadata), payload, metadata, null, CancellationToken.None));

        var slot = disk.Table().Partitions.Single(p => p.Number == 2);
        Assert.Equal((PartialRoot, "part1-v2"), (slot.Type, slot.Name));
        var partial = (await disk.Target().LoadAsync(CancellationToken.None)).Find("v2")!;
        Assert.True(partial.IsPartial);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_verified_payload_is_hashed_beside_the_writes_and_a_mismatch_still_leaves_it_partial(bool tampered)
    {
        RequireTools();

        // Uncompressed bytes from a verifying source: the copy's digest stage hashes them, not the reader.
        using var disk = new SlotDisk(Layout);
        var target = disk.Target();
        await target.LoadAsync(CancellationToken.None);
        var payload = RandomNumberGenerator.GetBytes(400 * 1024);
        var listed = Convert.ToHexString(SHA256.HashData(payload));
        var bytes = (byte[])payload.Clone();
        if (tampered)
        {
            bytes[^1] ^= 1;
        }

        VerifyingStream? opened = null;
        var source = SourcePayload.FromStream(PayloadKind.File, "http://example/part1-v2.raw", _ =>
            Task.FromResult<Stream>(opened = new VerifyingStream(new MemoryStream(bytes), listed, "http://example/part1-v2.raw")));
        var metadata = new InstanceMetadata { Version = "v2" };

        var acquire = target.AcquireAsync(target.Prepare(metadata), source, metadata, null, CancellationToken.None);

        var slot = () => disk.Table().Partitions.Single(p => p.Number == 2); // the smallest, the size being unknown
        if (tampered)
        {
            var error = await Assert.ThrowsAsync<VerificationException>(() => acquire);
            Assert.Contains(listed.ToLowerInvariant(), error.Message);
            Assert.Equal((PartialRoot, "part1-v2"), (slot().Type, slot().Name));
        }
        else
        {
            await acquire;
            Assert.Equal((PendingRoot, "part1-v2"), (slot().Type, slot().Name));
            Assert.Equal(payload, disk.ReadBytes((long)slot().Start * Sector, payload.Length));
        }

        // The hashing was handed to the copy: a second hand-over is refused.
        Assert.Throws<InvalidOperationException>(() => opened!.DeferHashing());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RemoveTemporaries_frees_slots_left_being_filled_when_asked(bool removeTemporary)
    {
        RequireTools();

        using var disk = new SlotDisk($"""
            size=1024, type={PartialRoot}, name=_empty
            size=1024, type={PartialRoot}, name=part1-v3
            size=1024, type={SlotDisk.Root}, name=part1-v1
            """);
        var target = disk.Target(SlotDisk.Definition(removeTemporary: removeTemporary));
        Assert.Equal(1, (await target.LoadAsync(CancellationToken.None)).EmptySlots);
        await target.RemoveTemporariesAsync(CancellationToken.None);

        var table = disk.Table();
        Assert.Equal(removeTemporary ? Root : PartialRoot, table.Partitions[0].Type);
        Assert.Equal(("_empty", PartialRoot, "part1-v3"), (table.Partitions[0].Name, table.Partitions[1].Type, table.Partitions[1].Name));
        GptAssert.SgdiskFindsNoProblems(disk.Path);
    }

    // PartitionZeroFill= (systemd 262): a slot reused for a shorter payload keeps the tail of the old
    // one unless zero-filled; a verity signature slot is zero-filled by default, others only when asked.
    // TEST-72-SYSUPDATE's test_zero_fill checks the same with the real sysupdate.
    [Theory]
    [InlineData("root-x86-64", null, false)]
    [InlineData("root-x86-64", true, true)]
    [InlineData("root-x86-64-verity-sig", null, true)]
    [InlineData("root-x86-64-verity-sig", false, false)]
    public async Task A_shorter_payload_leaves_the_old_tail_unless_the_slot_is_zero_filled(string type, bool? zeroFill, bool zeroed)
    {
        RequireTools();

        Assert.True(PartitionType.TryParse(type, out var guid));
        using var disk = new SlotDisk($"size=1024, type={guid}, name=_empty\nsize=1024, type={guid}, name=part1-v1\n");
        var start = (long)disk.Table().Partitions[0].Start * Sector;
        var slotBytes = 1024 * Sector;
        disk.Fill(start, slotBytes, 0x5A);
        var next = (long)disk.Table().Partitions[1].Start * Sector;
        disk.Fill(next, 4096, 0x33);
        var target = disk.Target(SlotDisk.Definition(type: type) with { PartitionZeroFill = zeroFill });
        await target.LoadAsync(CancellationToken.None);
        var payload = RandomNumberGenerator.GetBytes(3000);
        var metadata = new InstanceMetadata { Version = "v2" };

        await target.AcquireAsync(target.Prepare(metadata), Payload(disk.WriteSource("part1-v2.raw", payload)), metadata, null, CancellationToken.None);

        Assert.Equal(payload, disk.ReadBytes(start, payload.Length));
        var tail = disk.ReadBytes(start + payload.Length, slotBytes - payload.Length);
        Assert.All(tail, b => Assert.Equal(zeroed ? 0 : 0x5A, b));

        // Never past the slot: the next partition keeps its bytes.
        Assert.All(disk.ReadBytes(next, 4096), b => Assert.Equal(0x33, b));
        GptAssert.SgdiskFindsNoProblems(disk.Path);
    }

    [Fact]
    public async Task Remove_makes_the_slot_empty_and_of_type_T_without_touching_its_data_uuid_or_flags()
    {
        RequireTools();

        using var disk = new SlotDisk($"""
            size=1024, type={PendingRoot}, name=part1-v2, uuid=11111111-2222-4333-8444-555555555555, attrs="GUID:60"
            size=1024, type={SlotDisk.Root}, name=part1-v1
            """);
        var start = (long)disk.Table().Partitions[0].Start * Sector;
        disk.Fill(start, 4096, 0x5A);
        var target = disk.Target();
        await target.RemoveAsync((await target.LoadAsync(CancellationToken.None)).Find("v2")!, CancellationToken.None);

        var slot = disk.Table().Partitions[0];
        Assert.Equal((Root, "_empty", new Guid("11111111-2222-4333-8444-555555555555"), PartitionAttributes.ReadOnly), (slot.Type, slot.Name, slot.Uuid, slot.Attributes));
        Assert.All(disk.ReadBytes(start, 4096), b => Assert.Equal(0x5A, b));
        GptAssert.SgdiskFindsNoProblems(disk.Path);
    }

    [Fact]
    public async Task Remove_refuses_a_slot_that_was_moved_since_it_was_read()
    {
        RequireTools();

        using var disk = new SlotDisk($"size=1024, type={SlotDisk.Root}, name=part1-v1\nsize=1024, type={SlotDisk.Root}, name=part1-v2\n");
        var target = disk.Target();
        var v1 = (await target.LoadAsync(CancellationToken.None)).Find("v1")!;
        GptTools.Sfdisk(disk.Path, $"label: gpt\nunit: sectors\n\nstart=4096, size=1024, type={SlotDisk.Root}, name=part1-v1\n");

        var e = await Assert.ThrowsAsync<UpdateException>(() => target.RemoveAsync(v1, CancellationToken.None));
        Assert.Contains("moved or deleted", e.Message);
        Assert.Equal("part1-v1", disk.Table().Partitions[0].Name);
    }

    [Theory]
    [InlineData("a-very-long-partition-name-@v", "v12345678")]  // 36 UTF-16 units: fits
    [InlineData("part1-@v", "v1")]
    public void Prepare_names_the_label_without_touching_the_disk(string pattern, string version)
    {
        var target = new PartitionTarget(SlotDisk.Definition(pattern), "/nonexistent/disk.raw", false, true, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Equal(pattern.Replace("@v", version, StringComparison.Ordinal), target.Prepare(new InstanceMetadata { Version = version }).FinalName);
    }

    [Theory]
    [InlineData("a-very-long-partition-name-@v", "v123456789", "a-very-long-partition-name-v123456789")]  // 37 UTF-16 units
    [InlineData("@v", "_empty", "_empty")]
    public void Prepare_refuses_a_label_the_name_field_cannot_hold_or_the_free_slot_label(string pattern, string version, string inMessage)
    {
        var target = new PartitionTarget(SlotDisk.Definition(pattern), "/nonexistent/disk.raw", false, true, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var e = Assert.Throws<UpdateException>(() => target.Prepare(new InstanceMetadata { Version = version }));
        Assert.Contains(inMessage, e.Message);
    }

    private static void RequireTools() => GptTools.Require("sfdisk", "sgdisk");

    private static SourcePayload Payload(string path) => SourcePayload.FromStream(PayloadKind.File, path, _ =>
        Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0)));

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>Records the fraction of each report (every report here has a total).</summary>
    private sealed class SyncProgress(Action<double> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value.Fraction!.Value);
    }

    /// <summary>What a verifying URL source does on a hash mismatch: all bytes, then the error at the end.</summary>
    private sealed class RejectingStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = base.Read(buffer, offset, count);
            return n > 0 || count == 0 ? n : throw new VerificationException("SHA-256 mismatch");
        }

        public override int Read(Span<byte> buffer)
        {
            var copy = new byte[buffer.Length];
            var n = Read(copy, 0, copy.Length);
            copy.AsSpan(0, n).CopyTo(buffer);
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    }
}
