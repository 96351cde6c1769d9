namespace ImageUpdate.Transfers;

/// <summary>What resolving a transfer's paths depends on: the command line's --root, --transfer-source, --image (and its FAT timestamp) and --sync.</summary>
public sealed record ResolverSettings(string Root, string? TransferSource, string? Image, DateTimeOffset? ImageTimestamp, bool Sync)
{
    public bool IsRooted => Root != "/";
}
