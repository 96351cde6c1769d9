namespace ImageUpdate.Systemd.BootCounting;

/// <summary>What the booted entry's name on disk says about this boot (systemd-bless-boot's status words).</summary>
public enum BootEntryState
{
    /// <summary>Booted without a counter: the entry was already good, nothing to assess.</summary>
    Clean,

    /// <summary>The entry still has the name it was booted with and tries left: no verdict yet.</summary>
    Indeterminate,

    /// <summary>The entry was booted on its last try and no verdict is in yet: the boot loader will not pick it again.</summary>
    Dirty,

    /// <summary>Marked good: the counter is gone.</summary>
    Good,

    /// <summary>Marked bad: no tries left.</summary>
    Bad,
}
