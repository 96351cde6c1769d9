namespace ImageUpdate.Systemd.Power;

/// <summary>
/// Whether systemd is the running service manager, as sd_booted(3) decides it: systemd creates
/// /run/systemd/system early at boot and nothing else does. A busybox initramfs lacks it, and then
/// neither logind nor the systemd manager is there to ask.
/// </summary>
public static class SystemdPresence
{
    public const string RunDirectory = "/run/systemd/system";

    /// <summary>
    /// Test hook ("1" or "0") that overrides the directory check, so the program's tests can drive the
    /// logind and systemd paths on a machine without systemd, and never reach reboot(2) by accident.
    /// Unset outside tests.
    /// </summary>
    public const string TestOverrideVariable = Update.Engine.HostEnvironment.SystemdRunningVariable;

    /// <summary>Whether systemd runs; <paramref name="testOverride"/> is the value of <see cref="TestOverrideVariable"/>, as the program read it.</summary>
    public static bool IsRunning(string? testOverride) => testOverride switch
    {
        "1" => true,
        "0" => false,
        _ => Directory.Exists(RunDirectory),
    };
}
