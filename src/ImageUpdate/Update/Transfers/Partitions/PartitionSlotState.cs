namespace ImageUpdate.Update.Transfers.Partitions;

/// <summary>Which of the three types of sysupdate.md §3 "Partition target" a partition of type T carries.</summary>
public enum PartitionSlotState
{
    /// <summary>T itself: installed, or free when labelled `_empty`.</summary>
    Final,

    /// <summary>P(T): being written (label `_empty`), or written but rejected (final label).</summary>
    Partial,

    /// <summary>D(T): complete and synced, waiting for install.</summary>
    Pending,
}
