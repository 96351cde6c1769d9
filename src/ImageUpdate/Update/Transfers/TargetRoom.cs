namespace ImageUpdate.Update.Transfers;

/// <summary>
/// Where a new instance of a target would go once making room has run, as the engine's whole-update
/// check before the first write sees it (<see cref="ITargetResource.RoomAsync"/>): free slots of a
/// partition table (<see cref="SlotRoom"/>) or bytes of a file system (<see cref="SpaceRoom"/>).
/// </summary>
public abstract record TargetRoom
{
    /// <summary>What targets sharing the same room have in common: the disk and type, or the file system.</summary>
    public abstract string Pool { get; }
}
