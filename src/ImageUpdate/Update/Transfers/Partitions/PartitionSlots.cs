using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Update.Transfers.Partitions;

/// <summary>
/// The pure half of a partition target: which partitions of a table are instances or free slots of
/// type T, which free slot a payload goes to, and what each state change does to an entry (sysupdate.md
/// §3 "Enumeration" and "Partition target"). Nothing here reads or writes a disk.
/// </summary>
public static class PartitionSlots
{
    /// <summary>The label of a free slot.</summary>
    public const string EmptyLabel = "_empty";

    /// <summary>Whether a partition of <paramref name="entryType"/> belongs to a target of type <paramref name="type"/>, and in which state.</summary>
    public static PartitionSlotState? StateOf(Guid entryType, Guid type)
    {
        if (entryType == type)
        {
            return PartitionSlotState.Final;
        }

        if (entryType == PartitionStates.PartialTypeFor(type))
        {
            return PartitionSlotState.Partial;
        }

        return entryType == PartitionStates.PendingTypeFor(type) ? PartitionSlotState.Pending : null;
    }

    /// <summary>
    /// The instances and free slots of type T (or P(T), D(T)) in <paramref name="table"/>, as systemd's
    /// resource_load_from_blockdev finds them: a label `_empty` is a free slot whatever the state (so
    /// a slot being filled, P(T) + `_empty`, is never an instance), other labels are matched with the
    /// patterns, and what a pattern does not capture is taken from the entry: UUID, flags, the three
    /// systemd bits where T defines them, and the partition's size.
    /// </summary>
    public static ResourceInventory Inventory(PartitionTable table, Guid type, PatternList patterns, string disk)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(patterns);
        var instances = new List<Instance>();
        var empty = 0;
        foreach (var (index, entry) in table.Partitions)
        {
            if (StateOf(entry.Type, type) is not { } state)
            {
                continue;
            }

            if (entry.Name == EmptyLabel)
            {
                empty++;
                continue;
            }

            var match = patterns.Match(entry.Name);
            if (!match.IsMatch)
            {
                continue;
            }

            var slot = PartitionSlot.Of(index, entry, table.SectorSize, DeviceName(disk, index + 1));
            var m = match.Metadata!;
            var metadata = m with
            {
                PartitionUuid = m.PartitionUuid ?? entry.UniqueId,
                PartitionFlags = m.PartitionFlags ?? entry.Attributes,
                ReadOnly = m.ReadOnly ?? (entry.ReadOnly && PartitionTypeTraits.KnowsReadOnly(type)),
                NoAuto = m.NoAuto ?? (entry.NoAuto && PartitionTypeTraits.KnowsNoAuto(type)),
                GrowFileSystem = m.GrowFileSystem ?? (entry.GrowFileSystem && PartitionTypeTraits.KnowsGrowFileSystem(type)),
                Size = m.Size ?? (ulong)slot.Size,
            };
            instances.Add(new Instance(slot.DevicePath, metadata, state == PartitionSlotState.Partial, state == PartitionSlotState.Pending) { Location = new PartitionLocation(slot) });
        }

        return new ResourceInventory(instances, empty);
    }

    /// <summary>The free slots (label `_empty`, type T, P(T) or D(T)), in table order.</summary>
    public static IEnumerable<PartitionSlot> FreeSlots(PartitionTable table, Guid type, string disk)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.Partitions
            .Where(p => p.Entry.Name == EmptyLabel && StateOf(p.Entry.Type, type) is not null)
            .Select(p => PartitionSlot.Of(p.Index, p.Entry, table.SectorSize, DeviceName(disk, p.Index + 1)));
    }

    /// <summary>
    /// systemd's find_suitable_partition: the smallest free slot that holds <paramref name="size"/> bytes
    /// (any free slot when the size is unknown), the first in table order among equals. Throws, naming
    /// the sizes, when none fits: nothing has been written at that point.
    /// </summary>
    public static PartitionSlot Choose(IEnumerable<PartitionSlot> free, long? size, string what)
    {
        ArgumentNullException.ThrowIfNull(free);
        PartitionSlot? best = null;
        PartitionSlot? largest = null;
        foreach (var slot in free)
        {
            if (largest is null || slot.Size > largest.Size)
            {
                largest = slot;
            }

            if (size is { } needed && slot.Size < needed)
            {
                continue;
            }

            if (best is null || slot.Size < best.Size)
            {
                best = slot;
            }
        }

        if (best is not null)
        {
            return best;
        }

        if (largest is null)
        {
            throw new UpdateException($"No available partition of a suitable size found for {what}: no free ('_empty') slot.");
        }

        throw new UpdateException($"No available partition of a suitable size found for {what}: the payload is {size} bytes, the largest free slot ({largest.DevicePath}) holds {largest.Size} bytes.");
    }

    /// <summary>Claim: P(T) + `_empty`, a free slot being filled, which neither tool takes for a version.</summary>
    public static PartitionEntry Claim(PartitionEntry entry, Guid type) =>
        entry with { Type = PartitionStates.PartialTypeFor(type), Name = EmptyLabel };

    /// <summary>
    /// Pending: D(T) with the final label and the new instance's UUID and flags, in one table write.
    /// PartitionFlags= replaces the whole attribute word; then ReadOnly=, PartitionNoAuto= and
    /// PartitionGrowFileSystem= set their bit where T defines it (systemd's patch_partition). A null
    /// value leaves the entry's as it is.
    /// </summary>
    public static PartitionEntry MarkPending(PartitionEntry entry, Guid type, string label, InstanceMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(metadata);
        var attributes = metadata.PartitionFlags ?? entry.Attributes;
        if (metadata.NoAuto is { } noAuto && PartitionTypeTraits.KnowsNoAuto(type))
        {
            attributes = PartitionAttributes.With(attributes, PartitionAttributes.NoAuto, noAuto);
        }

        if (metadata.ReadOnly is { } readOnly && PartitionTypeTraits.KnowsReadOnly(type))
        {
            attributes = PartitionAttributes.With(attributes, PartitionAttributes.ReadOnly, readOnly);
        }

        if (metadata.GrowFileSystem is { } grow && PartitionTypeTraits.KnowsGrowFileSystem(type))
        {
            attributes = PartitionAttributes.With(attributes, PartitionAttributes.GrowFileSystem, grow);
        }

        return entry with
        {
            Type = PartitionStates.PendingTypeFor(type),
            Name = label,
            UniqueId = metadata.PartitionUuid ?? entry.UniqueId,
            Attributes = attributes,
        };
    }

    /// <summary>Rejected after writing (verification failed): P(T) with the final label, systemd's partial.</summary>
    public static PartitionEntry MarkPartial(PartitionEntry entry, Guid type, string label) =>
        entry with { Type = PartitionStates.PartialTypeFor(type), Name = label };

    /// <summary>Install: T, label and attributes as pending left them.</summary>
    public static PartitionEntry Install(PartitionEntry entry, Guid type) => entry with { Type = type };

    /// <summary>Vacuum, or undoing a claim: T + `_empty`; the data is not zeroed, UUID and flags stay.</summary>
    public static PartitionEntry Release(PartitionEntry entry, Guid type) => entry with { Type = type, Name = EmptyLabel };

    /// <summary>
    /// libfdisk's partition name (fdisk_partname), which sysupdate shows as the instance path: the disk
    /// name, then "p" when it ends in a digit (loop0p1, nvme0n1p2) or "-part" for /dev/mapper and
    /// /dev/disk/by-* links, then the number. For a loop device without partition scanning, or an image
    /// file, the name does not exist; it is still what both tools print.
    /// </summary>
    public static string DeviceName(string disk, int number)
    {
        ArgumentNullException.ThrowIfNull(disk);
        string separator;
        if (disk.StartsWith("/dev/mapper/", StringComparison.Ordinal) || disk.StartsWith("/dev/disk/by-", StringComparison.Ordinal))
        {
            separator = "-part";
        }
        else
        {
            separator = disk.Length > 0 && char.IsAsciiDigit(disk[^1]) ? "p" : string.Empty;
        }

        return disk + separator + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
