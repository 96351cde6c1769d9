using System.Collections.Immutable;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Foundation.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// Computes where each partition of a repart.d layout goes on a new, empty disk, the way
/// `systemd-repart --empty=create` of systemd 252 does (src/partition/repart.c), so that an image built
/// from the same definitions and seed has the same table as one systemd-repart makes:
/// <list type="bullet">
/// <item>the disk: with no size given, repart's --size=auto, i.e. the sum of every partition's minimum
/// (with padding) plus 1044 KiB for the GPT (GPT_METADATA_SIZE), rounded to 4 KiB;</item>
/// <item>the usable area as libfdisk lays out a new GPT: from 1 MiB (its default alignment; the header's
/// FirstUsableLBA says so too) to the backup entry array, rounded in to the grain (4 KiB, or the sector
/// size if larger);</item>
/// <item>allocation: partitions in file-name order, each at least its minimum (SizeMinBytes=, default
/// 10 MiB), dropping the highest Priority= (> 0) group until they fit; then the free space shared by
/// Weight=/PaddingWeight= in repart's phases (first those whose minimum exceeds their share, then those
/// whose maximum is below it, then the rest), leftovers donated in order; placed back to back;</item>
/// <item>identifiers and labels: <see cref="RepartUuids"/>; a missing Label= is the type's name, made
/// unique with "-2", "-3" against earlier partitions (partition_acquire_label);</item>
/// <item>attribute bits: Flags=, then NoAuto=, ReadOnly=, GrowFileSystem= for types that know them
/// (<see cref="PartitionTypeTraits"/>, systemd's current table: unlike 252 it lets ReadOnly= apply to
/// the verity signature types); verity hash types default to read-only; types that know growfs get it unless read-only (as 252 does, even
/// over an explicit GrowFileSystem=no, which is logged).</item>
/// </list>
/// </summary>
public static class DiskLayoutPlanner
{
    /// <summary>repart's DEFAULT_MIN_SIZE: a partition without SizeMinBytes= gets at least 10 MiB.</summary>
    public const ulong DefaultMinSize = 10UL << 20;

    /// <summary>repart's HARD_MIN_SIZE.</summary>
    public const ulong HardMinSize = 4096;

    /// <summary>repart's GPT_METADATA_SIZE: what libfdisk's GPT takes off a disk (1 MiB before, the backup after).</summary>
    public const ulong GptMetadataSize = 1044UL << 10;

    /// <summary>libfdisk's default alignment, where the first partition of a new GPT may start.</summary>
    public const ulong FirstPartitionOffset = 1UL << 20;

    /// <summary>
    /// libfdisk shrinks its alignment on disks of at most 4 × 1 MiB; such a disk could not hold a
    /// partition of repart's minimum anyway, so it is refused rather than imitated.
    /// </summary>
    public const ulong MinimumDiskSize = (4UL << 20) + 1;

    /// <summary>
    /// Plans <paramref name="layout"/> on a disk of <paramref name="sectorSize"/>-byte sectors and
    /// <paramref name="size"/> bytes, rounded up to 4096 as repart's --size= is (null: the smallest that
    /// fits, repart's --size=auto).
    /// </summary>
    public static DiskLayout Plan(RepartLayout layout, Guid seed, int sectorSize = 512, ulong? size = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        logger ??= NullLogger.Instance;
        if (sectorSize is not (512 or 4096))
        {
            throw new DiskImageException($"The sector size {sectorSize} is not supported; use 512 or 4096.");
        }

        var grain = Math.Max(RepartSize.Alignment, (ulong)sectorSize);
        var slots = layout.Partitions.Select(p => new Slot(p)).ToList();

        // repart rounds --size= up to 4 KiB (with a warning); so do we, so the same request gives the same disk.
        var total = size is { } requested ? RepartSize.RoundUp(requested, RepartSize.Alignment) : AutoSize(slots, grain);
        if (size is { } asked && asked != total)
        {
            logger.LogWarning("The disk size {Requested} is not a multiple of 4096, rounding it up to {Rounded}.", asked, total);
        }

        if (total < MinimumDiskSize)
        {
            throw new DiskImageException($"A disk of {total} bytes is too small for a GPT with partitions; it needs more than {MinimumDiskSize - 1}.");
        }

        var sectors = total / (ulong)sectorSize;
        var entrySectors = (ulong)(DiskLayout.EntryCount * PartitionEntry.MinimumSize) / (ulong)sectorSize;
        var firstUsableLba = FirstPartitionOffset / (ulong)sectorSize;
        var lastUsableLba = sectors - 2 - entrySectors;
        var start = RepartSize.RoundUp(FirstPartitionOffset, grain);
        var end = RepartSize.RoundDown((lastUsableLba + 1) * (ulong)sectorSize, grain);
        var free = end > start ? end - start : 0;

        Allocate(slots, free, grain, logger);
        Grow(slots, free, grain);

        var partitions = ImmutableArray.CreateBuilder<PlannedPartition>();
        var offset = start;
        var uuids = AcquireUuids(slots, seed);
        var labels = AcquireLabels(slots);
        for (var i = 0; i < slots.Count; i++)
        {
            var slot = slots[i];
            if (slot.Dropped)
            {
                continue;
            }

            var p = slot.Definition;
            partitions.Add(new PlannedPartition(partitions.Count + 1, p, offset, slot.NewSize!.Value, slot.NewPadding!.Value,
                p.Type, uuids[i], labels[i], Attributes(p, logger)));
            offset += slot.NewSize.Value + slot.NewPadding.Value;
        }

        return new DiskLayout(sectorSize, total, RepartUuids.Disk(seed), firstUsableLba, lastUsableLba,
            partitions.ToImmutable(), [.. slots.Where(s => s.Dropped).Select(s => s.Definition)]);
    }

    /// <summary>partition_min_size for a partition that does not exist yet.</summary>
    internal static ulong MinSize(RepartPartition p, ulong grain)
    {
        // A file system needs room of its own; repart knows no minimum for vfat and assumes one grain.
        var floor = Math.Max(HardMinSize, p.Format != RepartFormat.None ? grain : 0);
        return Math.Max(RepartSize.RoundUp(p.SizeMinBytes ?? DefaultMinSize, grain), floor);
    }

    internal static ulong MaxSize(RepartPartition p, ulong grain) =>
        p.SizeMaxBytes is { } max ? Math.Max(MinSize(p, grain), RepartSize.RoundDown(max, grain)) : ulong.MaxValue;

    internal static ulong MinSizeWithPadding(RepartPartition p, ulong grain) =>
        RepartSize.RoundUp(Saturating(MinSize(p, grain), p.PaddingMinBytes ?? 0), grain);

    /// <summary>determine_auto_size: the GPT's share plus every partition's minimum with padding.</summary>
    private static ulong AutoSize(List<Slot> slots, ulong grain)
    {
        var sum = RepartSize.RoundUp(GptMetadataSize, RepartSize.Alignment);
        foreach (var slot in slots)
        {
            var needed = MinSizeWithPadding(slot.Definition, grain);
            if (needed > ulong.MaxValue - sum)
            {
                throw new DiskImageException("The partitions' minimum sizes add up to more than 2^64 bytes.");
            }

            sum += needed;
        }

        return sum;
    }

    /// <summary>context_allocate_partitions with one free area, and context_drop_or_foreignize_one_priority.</summary>
    private static void Allocate(List<Slot> slots, ulong free, ulong grain, ILogger logger)
    {
        while (true)
        {
            ulong required = 0;
            foreach (var slot in slots.Where(s => !s.Dropped))
            {
                required = Saturating(required, MinSizeWithPadding(slot.Definition, grain));
            }

            if (free > 0 && required <= free)
            {
                return;
            }

            var priority = Math.Max(0, slots.Where(s => !s.Dropped).Select(s => s.Definition.Priority).DefaultIfEmpty(0).Max());
            if (priority <= 0)
            {
                throw new DiskImageException(
                    $"The partitions need at least {required} bytes but the disk has {free} bytes free for them.");
            }

            foreach (var slot in slots.Where(s => !s.Dropped && s.Definition.Priority >= priority))
            {
                logger.LogInformation("Cannot fit partition {File} of priority {Priority}, dropping it.", slot.Definition.File, slot.Definition.Priority);
                slot.Dropped = true;
            }
        }
    }

    /// <summary>context_grow_partitions_on_free_area for the one free area of an empty disk.</summary>
    private static void Grow(List<Slot> slots, ulong span, ulong grain)
    {
        var allocated = slots.Where(s => !s.Dropped).ToList();
        ulong weightSum = 0;
        foreach (var slot in allocated)
        {
            weightSum += slot.Definition.Weight + (ulong)slot.Definition.PaddingWeight;
        }

        foreach (var phase in new[] { Phase.Overcharge, Phase.Undercharge, Phase.Distribute })
        {
            // A phase that fixed someone's size changes everyone's share: run it again until it fixes nobody.
            var settled = false;
            while (!settled)
            {
                settled = GrowPhase(allocated, phase, grain, ref span, ref weightSum);
            }
        }

        // Space left over (rounding, maximums): donated to the partitions in order, up to their maximum.
        foreach (var slot in allocated)
        {
            if (span == 0)
            {
                break;
            }

            var current = slot.NewSize!.Value;
            var grown = Math.Min(Math.Max(RepartSize.RoundDown(Saturating(current, span), grain), current), MaxSize(slot.Definition, grain));
            span = ChargeSize(span, grown - current, grain);
            slot.NewSize = grown;
        }

        // What nobody takes stays unpartitioned at the end of the disk: an empty disk's free area follows no partition.
    }

    /// <summary>context_grow_partitions_phase; returns false when the phase must run again.</summary>
    private static bool GrowPhase(List<Slot> slots, Phase phase, ulong grain, ref ulong span, ref ulong weightSum)
    {
        var tryAgain = false;
        foreach (var slot in slots)
        {
            var p = slot.Definition;
            if (slot.NewSize is null)
            {
                var share = ScaleByWeight(span, p.Weight, weightSum);
                if (Choose(phase, share, MinSize(p, grain), MaxSize(p, grain), grain) is { } size)
                {
                    slot.NewSize = size;
                    tryAgain |= phase != Phase.Distribute;
                    span = ChargeSize(span, size, grain);
                    weightSum -= p.Weight;
                }
            }

            if (slot.NewPadding is null)
            {
                var share = ScaleByWeight(span, p.PaddingWeight, weightSum);
                if (Choose(phase, share, p.PaddingMinBytes ?? 0, p.PaddingMaxBytes ?? ulong.MaxValue, grain) is { } padding)
                {
                    slot.NewPadding = padding;
                    tryAgain |= phase != Phase.Distribute;
                    span = ChargeSize(span, padding, grain);
                    weightSum -= p.PaddingWeight;
                }
            }
        }

        return !tryAgain;
    }

    /// <summary>
    /// What one phase gives a size (or padding) still open: its minimum when its share is below it
    /// (overcharge), its maximum when its share is above it (undercharge), else, once both are
    /// settled, its share rounded down to the grain and clamped; null leaves it for a later phase.
    /// </summary>
    private static ulong? Choose(Phase phase, ulong share, ulong min, ulong max, ulong grain) => phase switch
    {
        Phase.Overcharge when min > share => min,
        Phase.Undercharge when max < share => max,
        Phase.Distribute => Clamp(RepartSize.RoundDown(share, grain), min, max),
        _ => null,
    };

    /// <summary>scale_by_weight: value × weight / sum, halving both (sum rounded up) while the product would overflow.</summary>
    internal static ulong ScaleByWeight(ulong value, ulong weight, ulong weightSum)
    {
        while (true)
        {
            if (weight == 0)
            {
                return 0;
            }

            if (weight == weightSum)
            {
                return value;
            }

            if (value <= ulong.MaxValue / weight)
            {
                return value * weight / weightSum;
            }

            weightSum = (weightSum / 2) + (weightSum % 2);
            weight /= 2;
        }
    }

    /// <summary>charge_size: take the amount, rounded up to the grain, off the total, stopping at zero.</summary>
    private static ulong ChargeSize(ulong total, ulong amount, ulong grain) => RepartSize.LessBy(total, RepartSize.RoundUp(amount, grain));

    /// <summary>systemd's CLAMP: the upper bound wins when the bounds cross.</summary>
    private static ulong Clamp(ulong value, ulong low, ulong high) => value > high ? high : value < low ? low : value;

    private static ulong Saturating(ulong a, ulong b) => a > ulong.MaxValue - b ? ulong.MaxValue : a + b;

    /// <summary>partition_acquire_uuid over every definition in order, dropped ones included (they count as instances).</summary>
    private static Guid[] AcquireUuids(List<Slot> slots, Guid seed)
    {
        var uuids = new Guid[slots.Count];
        for (var i = 0; i < slots.Count; i++)
        {
            var p = slots[i].Definition;
            if (p.Uuid is { } given)
            {
                uuids[i] = given;
                continue;
            }

            var instance = (ulong)slots.Take(i).Count(s => s.Definition.Type == p.Type);
            var derived = RepartUuids.Partition(seed, p.Type, instance);

            // repart falls back to a random UUID on a clash with another partition's; a reproducible build cannot.
            for (var j = 0; j < slots.Count; j++)
            {
                var other = j < i ? uuids[j] : slots[j].Definition.Uuid;
                if (j != i && other == derived)
                {
                    throw new ConfigurationException(p.File, 0, "UUID",
                        $"The UUID {derived} derived from the seed for this partition is already used by {UntrustedText.Escape(slots[j].Definition.File)}.");
                }
            }

            uuids[i] = derived;
        }

        return uuids;
    }

    /// <summary>partition_acquire_label: the type's name, or "linux" for an unknown type, then "-2", "-3", ... until no earlier label equals it.</summary>
    private static string[] AcquireLabels(List<Slot> slots)
    {
        var labels = new string[slots.Count];
        for (var i = 0; i < slots.Count; i++)
        {
            var p = slots[i].Definition;
            if (p.Label is { } given)
            {
                labels[i] = given;
                continue;
            }

            var prefix = PartitionType.NameOf(p.Type) ?? "linux";
            var label = prefix;
            for (var k = 2; labels.Take(i).Contains(label, StringComparer.Ordinal); k++)
            {
                label = $"{prefix}-{k}";
            }

            labels[i] = label;
        }

        return labels;
    }

    /// <summary>partition_merge_flags, with the defaults partition_read_definition implies.</summary>
    internal static ulong Attributes(RepartPartition p, ILogger logger)
    {
        // Verity data, hash and signature partitions are read-only unless ReadOnly= says otherwise, as
        // systemd-repart 262 implies it (checked against it in RepartVerityImageTests). A Format=erofs
        // partition outside a triple gets growfs there, not read-only, and so it does here.
        var impliedReadOnly = PartitionTypeTraits.IsVerityHash(p.Type) || p.Verity != RepartVerityRole.Off;
        var readOnly = p.ReadOnly ?? (impliedReadOnly ? true : null);
        var growFileSystem = p.GrowFileSystem;
        if (PartitionTypeTraits.KnowsGrowFileSystem(p.Type) && readOnly != true)
        {
            if (growFileSystem == false)
            {
                logger.LogWarning("{File}: GrowFileSystem=no is overridden for a writable {Type} partition, as systemd-repart 252 does.", p.File, p.TypeName);
            }

            growFileSystem = true;
        }

        var flags = p.Flags;
        flags = Apply(flags, PartitionAttributes.NoAuto, p.NoAuto, PartitionTypeTraits.KnowsNoAuto(p.Type), "NoAuto", p, logger);
        flags = Apply(flags, PartitionAttributes.ReadOnly, readOnly, PartitionTypeTraits.KnowsReadOnly(p.Type), "ReadOnly", p, logger);
        flags = Apply(flags, PartitionAttributes.GrowFileSystem, growFileSystem, PartitionTypeTraits.KnowsGrowFileSystem(p.Type), "GrowFileSystem", p, logger);
        return flags;
    }

    private static ulong Apply(ulong flags, ulong bit, bool? setting, bool known, string key, RepartPartition p, ILogger logger)
    {
        if (setting is not { } value)
        {
            return flags;
        }

        if (!known)
        {
            logger.LogWarning("{File}: {Key}={Value} is ignored for partition type {Type}, which does not support it.", p.File, key, value ? "yes" : "no", p.TypeName);
            return flags;
        }

        return PartitionAttributes.With(flags, bit, value);
    }

    private enum Phase
    {
        Overcharge,
        Undercharge,
        Distribute,
    }

    /// <summary>A definition's allocation state while planning.</summary>
    private sealed class Slot(RepartPartition definition)
    {
        public RepartPartition Definition { get; } = definition;

        public bool Dropped { get; set; }

        public ulong? NewSize { get; set; }

        public ulong? NewPadding { get; set; }
    }
}
