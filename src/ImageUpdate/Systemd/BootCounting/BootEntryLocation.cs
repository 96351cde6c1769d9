namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// Where to look for the booted entry: the efivarfs directory with the Boot Loader Interface's
/// variables, and the ESP and XBOOTLDR; without either partition, the ones the system has mounted
/// (<see cref="BootEntryLocator.DefaultRoots"/>).
/// </summary>
public sealed record BootEntryLocation(string EfiVariablesDirectory, string? Esp = null, string? Xbootldr = null)
{
    /// <summary>$SYSTEMD_ESP_PATH and $SYSTEMD_XBOOTLDR_PATH as the program read them, for when neither partition is given.</summary>
    public Model.Host.BootPartitionOverrides Overrides { get; init; } = Model.Host.BootPartitionOverrides.None;

    /// <summary>The booted entry, in whichever state an earlier verdict left it.</summary>
    public BootEntry Locate()
    {
        IReadOnlyList<string> roots = Esp is null && Xbootldr is null
            ? BootEntryLocator.DefaultRoots(Overrides)
            : new[] { Esp, Xbootldr }.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        return BootEntryLocator.Locate(new EfiVariables(EfiVariablesDirectory), roots);
    }
}
