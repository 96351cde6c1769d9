namespace ImageUpdate.Update.Transfers;

/// <summary>A new partition instance: the label it will get, on the disk (or the Path= it resolves from).</summary>
public sealed record PreparedPartitionTarget(string Label, string Disk) : PreparedTarget(Label)
{
    public override string Destination => Disk;
}
