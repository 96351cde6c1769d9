namespace ImageUpdate.Transfers;

/// <summary>
/// The names a new instance will have in a target, computed and validated before anything is deleted
/// (systemd #40658). For files and directories: the final path and its siblings for the in-flight
/// write, a rejected (partial) copy and the pending copy; for partitions: the label (and the slot
/// once one is chosen).
/// </summary>
public sealed record PreparedTarget(string FinalName, string FinalPath, string? InFlightPath, string? PartialPath, string? PendingPath)
{
    /// <summary>ReadOnly= (or the source's @r) asks for a read-only final copy.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Backend-specific state (the chosen partition slot, ...).</summary>
    public object? State { get; set; }
}
