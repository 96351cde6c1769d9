namespace ImageUpdate.Update.Transfers;

/// <summary>
/// The bytes a file target could fill once making room has run: what its file system has free now
/// (<paramref name="Available"/>) and what deleting this target's old instances and leftovers frees in
/// it (<paramref name="Freed"/>). Targets with the same <paramref name="FileSystem"/> share the free
/// bytes; each adds what its own removals free. <paramref name="Where"/> is how a refusal names the
/// place ("in 'DIR'", "on the ESP (partition 1) of 'IMAGE'").
/// </summary>
public sealed record SpaceRoom(string FileSystem, string Where, long Available, long Freed) : TargetRoom
{
    public override string Pool => "space:" + FileSystem;
}
