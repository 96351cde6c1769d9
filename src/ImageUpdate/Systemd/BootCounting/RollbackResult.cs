namespace ImageUpdate.Systemd.BootCounting;

/// <summary>A rollback done: the booted version, the one that boots next, and the booted entry as it was marked.</summary>
public sealed record RollbackResult(string BootedVersion, string TargetVersion, BootEntry Entry);
