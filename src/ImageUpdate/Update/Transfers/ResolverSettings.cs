namespace ImageUpdate.Update.Transfers;

/// <summary>
/// What resolving a transfer's paths depends on: the command line's --root, --transfer-source, --image
/// (and its FAT timestamp) and --sync, and $SYSTEMD_ESP_PATH/$SYSTEMD_XBOOTLDR_PATH as the program read them.
/// </summary>
public sealed record ResolverSettings(string Root, string? TransferSource, string? Image, DateTimeOffset? ImageTimestamp, bool Sync, Model.Host.BootPartitionOverrides? BootPartitions = null)
{
    public bool IsRooted => Root != "/";
}
