namespace ImageUpdate.Update.Transfers;

/// <summary>
/// A new file or directory of a file tree: its final path and the siblings it passes through, the
/// in-flight write (`.#sysupdate.partial.NAME`), a rejected copy (`.sysupdate.partial.NAME`) and the
/// pending copy (`.sysupdate.pending.NAME`).
/// </summary>
public sealed record PreparedFileTarget(string FinalName, string FinalPath, string InFlightPath, string PartialPath, string PendingPath)
    : PreparedTarget(FinalName)
{
    public override string Destination => FinalPath;
}
