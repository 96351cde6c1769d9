namespace ImageUpdate.Systemd.BootCounting;

/// <summary>What `bless` is asked to do with the booted entry.</summary>
public enum BlessAction
{
    /// <summary>Run the health checks, then mark the boot good or bad (nothing when it has its verdict).</summary>
    Assess,

    /// <summary>Mark good: drop the counter.</summary>
    Good,

    /// <summary>Mark bad: no tries left.</summary>
    Bad,

    /// <summary>Give the entry back the name it was booted with.</summary>
    Indeterminate,

    /// <summary>Only locate the entry and report its state.</summary>
    Status,
}
