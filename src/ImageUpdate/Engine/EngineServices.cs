using ImageUpdate.Boot;
using ImageUpdate.Btrfs;

namespace ImageUpdate.Engine;

/// <summary>
/// The engine's effects on the machine beyond the files it is told to write, handed in by the caller
/// so a test can substitute each: BTRFS subvolume operations and the reboot --reboot asks for.
/// </summary>
public sealed record EngineServices
{
    /// <summary>The real thing: the kernel's BTRFS ioctls, and logind (or systemctl, or reboot(2)) to reboot.</summary>
    public static EngineServices Default { get; } = new();

    public IBtrfs Btrfs { get; init; } = KernelBtrfs.Instance;

    /// <summary>Null: <see cref="Boot.Rebooter"/> with the engine's logger.</summary>
    public IRebooter? Rebooter { get; init; }
}
