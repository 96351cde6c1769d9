using ImageUpdate.Platform.Btrfs;

namespace ImageUpdate.Update.Engine;

/// <summary>
/// The engine's effects on the machine beyond the files it is told to write, handed in by the caller
/// (the program builds one record) so a test can substitute each: BTRFS subvolume operations, the
/// reboot --reboot asks for, the shutdown inhibitor held while writing, and the clock that manifest
/// freshness (BEST-BEFORE) and signatures are judged by.
/// </summary>
public sealed record EngineServices
{
    /// <summary>The kernel's BTRFS ioctls, the system clock, no inhibitor and no way to reboot: what a library user gets without asking.</summary>
    public static EngineServices Default { get; } = new();

    public IBtrfs Btrfs { get; init; } = KernelBtrfs.Instance;

    /// <summary>What restarts the machine (the program: logind, systemctl or reboot(2)); by default none, and --reboot fails.</summary>
    public IRebooter Rebooter { get; init; } = IRebooter.Unavailable;

    /// <summary>
    /// What keeps a shutdown from cutting a write in half (the program: a logind inhibitor), taken at
    /// the first write and released after the last sync; none by default, so tests and library users
    /// need no bus. Not taken with <see cref="EngineOptions.Image"/>: building an image file writes no
    /// disk the running system boots from.
    /// </summary>
    public IShutdownInhibitor ShutdownInhibitor { get; init; } = IShutdownInhibitor.None;

    /// <summary>Who is told of an installed update (the program: systemd-sysupdate's notify sockets); nobody by default.</summary>
    public IUpdateSubscribers Subscribers { get; init; } = IUpdateSubscribers.None;

    /// <summary>"Now", for manifest freshness (BEST-BEFORE) and signature times.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
