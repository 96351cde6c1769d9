namespace ImageUpdate.Model.Host;

/// <summary>
/// $SYSTEMD_ESP_PATH and $SYSTEMD_XBOOTLDR_PATH as the program read them (null: unset or empty):
/// where the ESP and XBOOTLDR are, instead of looking (taken inside --root, as sysupdate does).
/// </summary>
public sealed record BootPartitionOverrides(string? Esp, string? Xbootldr)
{
    public const string EspVariable = "SYSTEMD_ESP_PATH";

    public const string XbootldrVariable = "SYSTEMD_XBOOTLDR_PATH";

    /// <summary>Neither is set: look for both.</summary>
    public static BootPartitionOverrides None { get; } = new(null, null);
}
