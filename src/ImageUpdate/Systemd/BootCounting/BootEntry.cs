namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// The entry this boot came from, as found on disk: the directory holding it, the name the boot loader
/// booted it under, and the name it has now (the booted, good or bad form of that name).
/// </summary>
public sealed record BootEntry(string Directory, BootCounterName Booted, string CurrentFileName)
{
    /// <summary>The entry's file as it is named now.</summary>
    public string CurrentPath => Path.Combine(Directory, CurrentFileName);

    public BootEntryState State =>
        !Booted.HasCounter ? (CurrentFileName == Booted.BadName ? BootEntryState.Bad : BootEntryState.Clean)
        : CurrentFileName == Booted.FileName ? (Booted.IsBad ? BootEntryState.Dirty : BootEntryState.Indeterminate)
        : CurrentFileName == Booted.GoodName ? BootEntryState.Good
        : BootEntryState.Bad;

    /// <summary>The counters of the name as it is now (null when it has none).</summary>
    public BootCounterName Current => BootCounterName.ParseLenient(CurrentFileName);
}
