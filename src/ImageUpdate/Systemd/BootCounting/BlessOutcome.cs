namespace ImageUpdate.Systemd.BootCounting;

/// <summary>What a verdict did: the entry before and after, and whether a rename happened (false: it already had that name).</summary>
public sealed record BlessOutcome(BootEntry Before, BootEntry After, bool Renamed);
