using System.Collections.Immutable;
using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// One repart.d file's [Partition] section (repart.d(5), systemd 252), as written: sizes already
/// rounded to 4096 the way Debian 12's repart 252.39 does (minimums down, maximums up), optional
/// settings null when the file did not set them. Defaults (10 MiB minimum, weight 1000, flags implied
/// by the type) are <see cref="DiskLayoutPlanner"/>'s business.
/// </summary>
public sealed record RepartPartition
{
    /// <summary>repart's default Weight=.</summary>
    public const uint DefaultWeight = 1000;

    /// <summary>The largest Weight= and PaddingWeight= repart accepts (1000 × 1000).</summary>
    public const uint MaxWeight = 1000 * 1000;

    /// <summary>The definition file's path, for messages.</summary>
    public required string File { get; init; }

    public required Guid Type { get; init; }

    /// <summary>Null: derived from the type name (repart's partition_acquire_label); empty is a valid label.</summary>
    public string? Label { get; init; }

    /// <summary>Null: derived from the seed.</summary>
    public Guid? Uuid { get; init; }

    public int Priority { get; init; }

    public uint Weight { get; init; } = DefaultWeight;

    public uint PaddingWeight { get; init; }

    public ulong? SizeMinBytes { get; init; }

    public ulong? SizeMaxBytes { get; init; }

    public ulong? PaddingMinBytes { get; init; }

    public ulong? PaddingMaxBytes { get; init; }

    public RepartFormat Format { get; init; }

    /// <summary>Flags=: the raw 64-bit GPT attribute value ReadOnly=, NoAuto= and GrowFileSystem= then adjust.</summary>
    public ulong Flags { get; init; }

    public bool? ReadOnly { get; init; }

    public bool? NoAuto { get; init; }

    public bool? GrowFileSystem { get; init; }

    /// <summary>CopyFiles=, in order; empty when the partition gets no files.</summary>
    public ImmutableArray<RepartCopyFiles> CopyFiles { get; init; } = [];

    /// <summary>CopyBlocks=: an absolute path whose bytes become the start of the partition; null for none.</summary>
    public string? CopyBlocks { get; init; }

    public RepartMinimize Minimize { get; init; }

    public RepartVerityRole Verity { get; init; }

    /// <summary>The line of Verity=, for messages about the triple it belongs to.</summary>
    public int VerityLine { get; init; }

    /// <summary>VerityMatchKey=: what ties a data, hash and signature partition together; null when unset.</summary>
    public string? VerityMatchKey { get; init; }

    /// <summary>VerityDataBlockSizeBytes= (on the Verity=hash partition); null: 4096.</summary>
    public int? VerityDataBlockSize { get; init; }

    /// <summary>VerityHashBlockSizeBytes= (on the Verity=hash partition); null: 4096.</summary>
    public int? VerityHashBlockSize { get; init; }

    /// <summary>SplitName= as written (null: repart's default "%t"; "-": never split out).</summary>
    public string? SplitName { get; init; }

    /// <summary>Compression= for erofs and squashfs; null: the tool's default.</summary>
    public string? Compression { get; init; }

    /// <summary>CompressionLevel=; null: the compressor's default.</summary>
    public int? CompressionLevel { get; init; }

    /// <summary>Whether build-image writes content into the partition (files, blocks or verity data), rather than leaving it zeroed.</summary>
    public bool HasContent => !CopyFiles.IsEmpty || CopyBlocks is not null || Verity != RepartVerityRole.Off || Format is RepartFormat.Erofs or RepartFormat.Squashfs;

    /// <summary>The type's canonical name, or its UUID, for messages.</summary>
    public string TypeName => PartitionType.NameOf(Type) ?? PartitionType.Format(Type);
}
