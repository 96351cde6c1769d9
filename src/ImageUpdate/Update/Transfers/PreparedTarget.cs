namespace ImageUpdate.Update.Transfers;

/// <summary>
/// The names a new instance will have in a target, computed and validated before anything is deleted
/// (systemd #40658): <see cref="PreparedFileTarget"/> for a file tree (host directory or FAT),
/// <see cref="PreparedPartitionTarget"/> for a partition table. Values only: what an acquire claims
/// comes back from it as a <see cref="PendingCopy"/>.
/// </summary>
public abstract record PreparedTarget(string FinalName)
{
    /// <summary>Where the copy goes, for messages: the final path, or the disk.</summary>
    public abstract string Destination { get; }

    /// <summary>ReadOnly= (or the source's @r) asks for a read-only final copy.</summary>
    public bool ReadOnly { get; init; }
}
