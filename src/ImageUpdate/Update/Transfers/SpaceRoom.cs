namespace ImageUpdate.Update.Transfers;

/// <summary>
/// The bytes a file target could fill once making room has run: what its file system has free now
/// (<paramref name="Available"/>) and what deleting this target's old instances and leftovers frees in
/// it (<paramref name="Freed"/>: bytes by removed path). Targets with the same <paramref name="FileSystem"/>
/// share the free bytes; each adds what its own removals free, a path named by several (leftovers in a
/// directory two targets share) counted once. <paramref name="Where"/> is how a refusal names the
/// place ("in 'DIR'", "on the ESP (partition 1) of 'IMAGE'").
/// </summary>
public sealed record SpaceRoom(string FileSystem, string Where, long Available, IReadOnlyDictionary<string, long> Freed) : TargetRoom
{
    public override string Pool => "space:" + FileSystem;
}
