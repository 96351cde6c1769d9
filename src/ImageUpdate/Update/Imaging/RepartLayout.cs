using System.Collections.Immutable;

namespace ImageUpdate.Update.Imaging;

/// <summary>A repart.d directory: its partitions in file-name order, which is the on-disk order.</summary>
public sealed record RepartLayout(string Directory, ImmutableArray<RepartPartition> Partitions);
