using ImageUpdate.Formats.Compression;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Diagnostics;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Foundation.Native;
using ImageUpdate.Foundation.Streams;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Resources;
using ImageUpdate.Update.Transfers.Copying;
using ImageUpdate.Update.Transfers.Partitions;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A `[Target] Type=partition`: the partitions of type T (MatchPartitionType=, linux-generic by default)
/// of one GPT disk are the slots; a label matching the patterns is an instance, `_empty` a free slot
/// (sysupdate.md §3, "Partition target"). Path= is a whole-disk device, a disk image, a directory (the
/// disk behind it) or `auto` (<see cref="DiskLocator"/>).
/// <para>
/// States, one GPT write each, every write under the disk's exclusive flock (<see cref="GptDisk.Update"/>):
/// <list type="number">
/// <item>claim: the smallest free slot that fits becomes P(T) + `_empty`, "a free slot being filled";</item>
/// <item>the payload is streamed in (<see cref="PipelinedCopy"/>) and fsynced;</item>
/// <item>pending: D(T) + the final label + PartitionUUID/flags/NoAuto/GrowFS/ReadOnly (the transfer's
/// key, else the source's wildcard value, else unchanged);</item>
/// <item>install: T.</item>
/// </list>
/// This differs from systemd (which labels the slot at the claim, P(T) + final label) on purpose: systemd
/// counts any `_empty` slot as free whatever its type, so while data streams in neither tool ever shows
/// the half-written slot as a version, and a kill -9 there leaves nothing that looks like one. A leftover
/// P(T) + `_empty` is turned back into T + `_empty` by <see cref="RemoveTemporariesAsync"/> (RemoveTemporary=).
/// A payload written but rejected by verification (a <see cref="VerificationException"/> from the source
/// stream) is marked P(T) + final label, exactly systemd's partial, so `list` shows it partial and a retry
/// asks for a vacuum, as sysupdate does. Vacuum (<see cref="RemoveAsync"/>) makes a slot T + `_empty` again
/// without zeroing its data.
/// </para>
/// <para>
/// A payload whose size is known (@s, or an uncompressed local file) and fits no free slot is refused
/// before anything is written; a payload of unknown size that turns out larger than its slot is stopped
/// at the slot's end (nothing is ever written past it) and the slot is released.
/// </para>
/// </summary>
public sealed class PartitionTarget : ITargetResource
{
    private readonly TargetDefinition _definition;
    private readonly string _path;
    private readonly bool _rooted;
    private readonly bool _sync;
    private readonly ILogger _logger;
    private readonly DiskLocator _locator;
    private string? _disk;

    private const int ZeroFillChunk = 1 << 20;

    /// <param name="path">Path= joined with --root when there is one, or "auto".</param>
    /// <param name="rooted">Whether --root= is in effect (block devices are then refused).</param>
    public PartitionTarget(TargetDefinition definition, string path, bool rooted, bool sync, ILogger logger, DiskLocator? locator = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (definition.Type != ResourceType.Partition)
        {
            throw new ArgumentException("Only partition targets live in a partition table.", nameof(definition));
        }

        _definition = definition;
        _path = path;
        _rooted = rooted;
        _sync = sync;
        _logger = logger;
        _locator = locator ?? DiskLocator.Host;
    }

    /// <summary>T: the type of the slots.</summary>
    public Guid PartitionType => _definition.MatchPartitionType ?? Formats.Gpt.PartitionType.LinuxGeneric;

    /// <summary>The disk (device or image file) holding the slots, resolved on first use.</summary>
    public string Disk
    {
        get
        {
            if (_disk is null)
            {
                _disk = _locator.Resolve(_path, _rooted);
                if (_disk != _path)
                {
                    _logger.LogInformation("Automatically discovered block device '{Disk}' from '{Path}'.", _disk, _path);
                }
            }

            return _disk;
        }
    }

    private string TypeName => Formats.Gpt.PartitionType.NameOf(PartitionType) ?? Formats.Gpt.PartitionType.Format(PartitionType);

    public Task<ResourceInventory> LoadAsync(CancellationToken cancellationToken)
    {
        var table = ReadTable();
        return Task.FromResult(PartitionSlots.Inventory(table, PartitionType, _definition.Patterns, Disk));
    }

    public Task RemoveTemporariesAsync(CancellationToken cancellationToken)
    {
        if (!_definition.RemoveTemporary)
        {
            return Task.CompletedTask;
        }

        // Read first: a disk without leftovers is never opened for writing (read-only media, `list`).
        var table = ReadTable();
        if (!table.Partitions.Any(p => IsFilling(p.Entry)))
        {
            return Task.CompletedTask;
        }

        var released = new List<int>();
        UpdateTable(t =>
        {
            var changed = t;
            foreach (var (index, entry) in t.Partitions)
            {
                if (IsFilling(entry))
                {
                    changed = changed.WithEntry(index, PartitionSlots.Release(entry, PartitionType));
                    released.Add(index + 1);
                }
            }

            return changed;
        });

        foreach (var number in released)
        {
            _logger.LogDebug("Released partition {Number} of '{Disk}', left being filled by an interrupted run.", number, Disk);
        }

        return Task.CompletedTask;
    }

    public Task RemoveAsync(Instance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var slot = SlotOf(instance.Location, instance.Path);
        UpdateTable(t =>
        {
            var entry = Current(t, slot);
            if (entry.Name == PartitionSlots.EmptyLabel || PartitionSlots.StateOf(entry.Type, PartitionType) is null)
            {
                throw new UpdateException($"Partition '{UntrustedText.Escape(slot.DevicePath)}' changed since it was read (now '{UntrustedText.Escape(entry.Name)}'), refusing to reset it.");
            }

            return t.WithEntry(slot.Index, PartitionSlots.Release(entry, PartitionType));
        });
        return Task.CompletedTask;
    }

    /// <summary>The free slots (`_empty`, including slots an interrupted run left being filled) and the slots of <paramref name="removed"/>.</summary>
    public Task<TargetRoom?> RoomAsync(PreparedTarget? prepared, IReadOnlyList<Instance>? removed, CancellationToken cancellationToken)
    {
        var candidates = PartitionSlots.FreeSlots(ReadTable(), PartitionType, Disk).ToList();
        foreach (var instance in removed ?? [])
        {
            if (instance.Location is PartitionLocation { Slot: var slot } && candidates.All(c => c.Index != slot.Index))
            {
                candidates.Add(slot);
            }
        }

        return Task.FromResult<TargetRoom?>(new SlotRoom(Disk, PartitionType, $"in '{UntrustedText.Escape(Disk)}' (type {TypeName})", candidates));
    }

    public PreparedTarget Prepare(InstanceMetadata metadata)
    {
        var label = _definition.Patterns.First.Format(metadata);
        if (!PartitionEntry.IsValidLabel(label))
        {
            throw new UpdateException($"Formatted pattern is not suitable as GPT partition label (at most {PartitionEntry.MaxNameLength} UTF-16 code units), refusing: {UntrustedText.Escape(label)}");
        }

        if (label == PartitionSlots.EmptyLabel)
        {
            throw new UpdateException($"Formatted pattern is the free-slot label, refusing: {label}");
        }

        // The disk is not resolved here: labels are checked for every transfer before anything else happens.
        return new PreparedPartitionTarget(label, _disk ?? _path);
    }

    public PendingCopy AdoptPending(PreparedTarget prepared, Instance pending)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(pending);
        return new PendingCopy(prepared, new PartitionLocation(SlotOf(pending.Location, pending.Path)));
    }

    public async Task<PendingCopy> AcquireAsync(PreparedTarget prepared, SourcePayload payload, InstanceMetadata metadata, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var written = await WriteAsync(prepared, payload, metadata, progress, cancellationToken).ConfigureAwait(false);
        return await MarkPendingAsync(written, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Claim, payload, fsync: the slot stays P(T) + `_empty` (being filled) until <see cref="MarkPendingAsync"/>.</summary>
    public async Task<WrittenCopy> WriteAsync(PreparedTarget prepared, SourcePayload payload, InstanceMetadata metadata, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(metadata);
        if (payload.Kind != PayloadKind.File)
        {
            throw new UpdateException($"Cannot write {payload.Kind.ToString().ToLowerInvariant()} source '{UntrustedText.Escape(payload.Description)}' into a partition target.");
        }

        var label = prepared.FinalName;
        await using var raw = await payload.OpenAsync(cancellationToken).ConfigureAwait(false);
        var counted = new CountingReadStream(raw);
        var (kind, decompressed) = await Decompression.OpenAutoDetectAsync(counted, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var disposeData = decompressed.ConfigureAwait(false);

        // The uncompressed size, when anything tells it: @s, the payload, or an uncompressed
        // payload's own length (a file's, a download's Content-Length).
        var rawLength = raw.CanSeek ? raw.Length : (long?)null;
        var expected = (long?)metadata.Size ?? payload.Length ?? (kind == CompressionKind.None ? ForwardReadStream.ExpectedLengthOf(raw) : null);

        cancellationToken.ThrowIfCancellationRequested();
        var (slot, uuid) = Claim(expected, payload.Description);
        _logger.LogDebug("Claimed partition '{Device}' ({Size} bytes at offset {Offset}) for '{Label}'.", slot.DevicePath, slot.Size, slot.Offset, label);
        CrashPoint.Hit("after-partition-claim");

        try
        {
            using var handle = OpenForWriting(0)!;
            // A slot of a disk image file (--image, Path= a file) goes through the page cache, which the
            // copy empties behind each fsync (PipelinedCopy says why; with --sync=no nothing is fsynced,
            // and the pages stay until the kernel writes them back and reclaims them).
            using var direct = IsBlockDevice() ? OpenForWriting(Libc.Partitions.OpenDirect) : null;
            var blockSize = slot.SectorSize;
            var report = PayloadWriter.Report(progress, counted, kind, expected, rawLength ?? ForwardReadStream.ExpectedLengthOf(raw));
            var what = $"'{UntrustedText.Escape(slot.DevicePath)}' from '{UntrustedText.Escape(payload.Description)}'";
            var written = await PipelinedCopy.CopyAsync(decompressed, handle, direct, blockSize, slot.Offset, slot.Size, _sync, PayloadWriter.DigestBesideWrites(raw, kind), what, report, cancellationToken).ConfigureAwait(false);

            // A verifying source under a decoder checks its hash on the read that finds its end (an
            // uncompressed one was judged by the copy's digest): make sure that read happens even if
            // a decoder stopped at the end of its data without asking for more.
            if (await counted.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new UpdateException($"Trailing data after the compressed payload of '{UntrustedText.Escape(payload.Description)}', refusing.");
            }

            if (_definition.ZeroFillsPartition(PartitionType))
            {
                await ZeroFillAsync(handle, slot.Offset + written, slot.Size - written, cancellationToken).ConfigureAwait(false);
                _logger.LogDebug("Zeroed {Bytes} bytes of partition '{Device}' after the payload.", slot.Size - written, slot.DevicePath);
            }
        }
        catch (VerificationException)
        {
            // Written but rejected: systemd's partial (P(T) + final label), which `list` shows and vacuum removes.
            UpdateSlot(slot, e => PartitionSlots.MarkPartial(e, PartitionType, label), PartitionSlotState.Partial);
            throw;
        }
        catch
        {
            TryRelease(slot);
            throw;
        }

        CrashPoint.Hit("after-partition-write");

        // Without PartitionUUID= or @u the slot keeps its UUID when it becomes pending (as 262): say which
        // one, so a check of the version (its verity UUIDs) compares the UUID the partition will carry.
        return new WrittenCopy(prepared, new PartitionLocation(slot), metadata with { PartitionUuid = metadata.PartitionUuid ?? uuid });
    }

    public Task<PendingCopy> MarkPendingAsync(WrittenCopy written, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(written);
        var slot = SlotOf(written.Location, written.Target.FinalName);
        var label = written.Target.FinalName;
        UpdateSlot(slot, e => PartitionSlots.MarkPending(e, PartitionType, label, written.Metadata), PartitionSlotState.Partial);
        _logger.LogDebug("Marked partition '{Device}' as pending with label '{Label}'.", slot.DevicePath, label);
        CrashPoint.Hit("after-partition-pending");
        return Task.FromResult(new PendingCopy(written.Target, new PartitionLocation(slot)));
    }

    /// <summary>Written but rejected by a check of its version: systemd's partial (P(T) + final label), as a payload that failed its hash.</summary>
    public Task RejectAsync(WrittenCopy written, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(written);
        var slot = SlotOf(written.Location, written.Target.FinalName);
        UpdateSlot(slot, e => PartitionSlots.MarkPartial(e, PartitionType, written.Target.FinalName), PartitionSlotState.Partial);
        _logger.LogDebug("Marked partition '{Device}' as partial with label '{Label}'.", slot.DevicePath, written.Target.FinalName);
        return Task.CompletedTask;
    }

    /// <summary>The slot's bytes, read through a descriptor of our own (no advisory lock: the GPT writes take theirs).</summary>
    public Task<Stream> OpenReadAsync(InstanceLocation location, CancellationToken cancellationToken)
    {
        var slot = SlotOf(location, Disk);
        var fd = Libc.Gpt.Open(Disk, Libc.Gpt.OpenReadOnly | Libc.Gpt.OpenCloseOnExec);
        if (fd < 0)
        {
            throw new UpdateException($"Failed to open '{UntrustedText.Escape(Disk)}' for reading: {Libc.Error("cannot open", Disk).Message}");
        }

        return Task.FromResult<Stream>(new SlotReadStream(new SafeFileHandle(fd, ownsHandle: true), slot.Offset, slot.Size));
    }

    public Task<string> InstallAsync(PendingCopy pending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pending);
        var slot = SlotOf(pending.Location, pending.Target.FinalName);
        UpdateSlot(slot, e => PartitionSlots.Install(e, PartitionType), PartitionSlotState.Pending);
        CrashPoint.Hit("after-partition-install");
        return Task.FromResult(slot.DevicePath);
    }

    /// <summary>A slot left being filled: P(T) + `_empty`.</summary>
    private bool IsFilling(PartitionEntry entry) =>
        entry.Name == PartitionSlots.EmptyLabel && PartitionSlots.StateOf(entry.Type, PartitionType) == PartitionSlotState.Partial;

    /// <summary>Chooses and claims a free slot in one locked read-change-write, so no other writer can take it in between.</summary>
    private (PartitionSlot Slot, Guid Uuid) Claim(long? size, string source)
    {
        PartitionSlot? chosen = null;
        var uuid = Guid.Empty;
        UpdateTable(t =>
        {
            var free = PartitionSlots.FreeSlots(t, PartitionType, Disk);
            chosen = PartitionSlots.Choose(free, size, $"'{UntrustedText.Escape(source)}' in '{UntrustedText.Escape(Disk)}' (type {TypeName})");
            uuid = t.Entries[chosen.Index].UniqueId;
            return t.WithEntry(chosen.Index, PartitionSlots.Claim(t.Entries[chosen.Index], PartitionType));
        });
        return (chosen!, uuid);
    }

    private void TryRelease(PartitionSlot slot)
    {
        try
        {
            UpdateTable(t =>
            {
                var entry = t.Entries[slot.Index];
                return slot.IsAt(entry) && IsFilling(entry) ? t.WithEntry(slot.Index, PartitionSlots.Release(entry, PartitionType)) : t;
            });
        }
        catch (Exception e) when (e is ImageUpdateException or IOException)
        {
            _logger.LogWarning("Failed to release partition '{Device}' after the failed write, the next run will: {Error}", slot.DevicePath, e.Message);
        }
    }

    /// <summary>Changes the slot's entry under the lock, after checking it is still the slot, in the state expected.</summary>
    private void UpdateSlot(PartitionSlot slot, Func<PartitionEntry, PartitionEntry> change, PartitionSlotState expected) =>
        UpdateTable(t =>
        {
            var entry = Current(t, slot);
            if (PartitionSlots.StateOf(entry.Type, PartitionType) != expected)
            {
                throw new UpdateException($"Partition '{UntrustedText.Escape(slot.DevicePath)}' changed type under us (now {Formats.Gpt.PartitionType.Format(entry.Type)}), refusing to touch it.");
            }

            return t.WithEntry(slot.Index, change(entry));
        });

    private static PartitionEntry Current(PartitionTable table, PartitionSlot slot)
    {
        if (slot.Index >= table.Entries.Length || !slot.IsAt(table.Entries[slot.Index]))
        {
            throw new UpdateException($"Partition '{UntrustedText.Escape(slot.DevicePath)}' was moved or deleted since it was read, refusing to touch it.");
        }

        return table.Entries[slot.Index];
    }

    private static PartitionSlot SlotOf(InstanceLocation location, string path) =>
        location is PartitionLocation partition ? partition.Slot : throw new InvalidOperationException($"Instance '{path}' is not a partition.");

    private PartitionTable ReadTable()
    {
        try
        {
            using var disk = GptDisk.Open(Disk);
            return disk.ReadTable();
        }
        catch (IOException e)
        {
            throw new UpdateException($"Failed to read the partition table of '{UntrustedText.Escape(Disk)}': {e.Message}", e);
        }
    }

    private void UpdateTable(Func<PartitionTable, PartitionTable> change)
    {
        try
        {
            using var disk = GptDisk.Open(Disk, writable: true);
            disk.Update(change);
        }
        catch (IOException e)
        {
            throw new UpdateException($"Failed to update the partition table of '{UntrustedText.Escape(Disk)}': {e.Message}", e);
        }
    }

    private bool IsBlockDevice() =>
        Libc.Partitions.TryStat(Disk, out var st) == 0 && (st.Mode & Libc.FileTypeMask) == Libc.TypeBlockDevice;

    /// <summary>
    /// open(2) directly: .NET's FileStream would take an advisory lock of its own on the disk. With
    /// O_DIRECT (block devices only) a refusal (EINVAL: the driver or backing store has no direct I/O)
    /// returns null and the copy stays buffered.
    /// </summary>
    private SafeFileHandle? OpenForWriting(int extraFlags)
    {
        var fd = Libc.Gpt.Open(Disk, Libc.Gpt.OpenReadWrite | Libc.Gpt.OpenCloseOnExec | extraFlags);
        if (fd < 0)
        {
            if (extraFlags != 0)
            {
                _logger.LogDebug("Cannot open '{Disk}' with O_DIRECT, writing through the page cache.", Disk);
                return null;
            }

            throw new UpdateException($"Failed to open '{UntrustedText.Escape(Disk)}' for writing: {Libc.Error("cannot open", Disk).Message}");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    // PartitionZeroFill= (systemd 262): nothing of an earlier, longer payload may survive behind this
    // one in a reused slot (a verity signature must be followed by NUL bytes only). Plain writes through
    // the buffered handle, synced when the copy was; systemd offloads this to BLKZEROOUT where it can,
    // which only changes how fast, not what the slot holds.
    private async Task ZeroFillAsync(SafeFileHandle handle, long offset, long length, CancellationToken cancellationToken)
    {
        var zeros = new byte[(int)Math.Min(length, ZeroFillChunk)];
        for (var done = 0L; done < length;)
        {
            var count = (int)Math.Min(zeros.Length, length - done);
            await RandomAccess.WriteAsync(handle, zeros.AsMemory(0, count), offset + done, cancellationToken).ConfigureAwait(false);
            done += count;
        }

        if (_sync && length > 0)
        {
            RandomAccess.FlushToDisk(handle);
        }
    }

}
