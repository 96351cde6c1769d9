using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Host;

namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// Finds the entry this boot came from, as systemd-bless-boot does: LoaderBootCountPath names it with
/// its path relative to the partition it was loaded from (ESP or XBOOTLDR); without it (the entry had
/// no counter) LoaderEntrySelected names it by identifier, which is a UKI in EFI/Linux/ or a Type #1
/// entry in loader/entries/. The entry may already carry its good or bad name from an earlier verdict.
/// </summary>
public static class BootEntryLocator
{
    /// <summary>Where Type #2 entries (UKIs) live, relative to the ESP or XBOOTLDR.</summary>
    public const string UkiDirectory = "EFI/Linux";

    /// <summary>Where Type #1 entries live, relative to the ESP or XBOOTLDR.</summary>
    public const string EntriesDirectory = "loader/entries";

    /// <summary>The ESP and XBOOTLDR as the system has them mounted (<see cref="BootPartitionLocator"/>).</summary>
    /// <param name="overrides">$SYSTEMD_ESP_PATH and $SYSTEMD_XBOOTLDR_PATH, as the program read them.</param>
    public static IReadOnlyList<string> DefaultRoots(BootPartitionOverrides overrides)
    {
        var paths = BootPartitionLocator.Locate("/", overrides);
        var roots = new[] { paths.Esp, paths.Xbootldr }.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        return roots.Count > 0
            ? roots
            : throw new BootCountingException("Cannot find the ESP or XBOOTLDR partition: mount it (FAT) at /efi, /boot or /boot/efi, or pass --esp-path.");
    }

    public static BootEntry Locate(EfiVariables variables, IReadOnlyList<string> bootRoots)
    {
        if (!variables.Available)
        {
            throw new BootCountingException($"No EFI variables in '{UntrustedText.Escape(variables.Directory)}': not booted through UEFI, or efivarfs is not mounted there.");
        }

        if (variables.LoaderBootCountPath is { } countPath)
        {
            return FromBootCountPath(variables, countPath, bootRoots);
        }

        if (variables.LoaderEntrySelected is { } selected)
        {
            return FromEntrySelected(variables, selected, bootRoots);
        }

        throw new BootCountingException(
            $"Neither LoaderBootCountPath nor LoaderEntrySelected is set in '{UntrustedText.Escape(variables.Directory)}': the boot loader does not implement the Boot Loader Interface.");
    }

    private static BootEntry FromBootCountPath(EfiVariables variables, string value, IReadOnlyList<string> bootRoots)
    {
        var variable = variables.PathOf("LoaderBootCountPath");
        var path = value.Replace('\\', '/');
        var components = path.Split('/');
        if (!path.StartsWith('/') || components.Length < 2 || components.Skip(1).Any(c => c is "" or "." or ".."))
        {
            throw new BootCountingException($"{UntrustedText.Escape(variable)}: '{UntrustedText.Escape(value)}' is not a normalized absolute path, refusing.");
        }

        var fileName = components[^1];
        var booted = BootCounterName.Parse(fileName);
        if (!booted.HasCounter)
        {
            throw new BootCountingException($"{UntrustedText.Escape(variable)}: '{UntrustedText.Escape(value)}' does not contain a boot counter, refusing.");
        }

        var relativeDirectory = string.Join('/', components[1..^1]);
        foreach (var root in bootRoots)
        {
            var directory = Path.Join(root, relativeDirectory);
            if (Find(directory, booted) is { } entry)
            {
                return entry;
            }
        }

        throw NotFound(relativeDirectory.Length == 0 ? fileName : $"{relativeDirectory}/{fileName}", "LoaderBootCountPath", variable, bootRoots);
    }

    private static BootEntry FromEntrySelected(EfiVariables variables, string id, IReadOnlyList<string> bootRoots)
    {
        var variable = variables.PathOf("LoaderEntrySelected");
        if (id.Contains('/') || id.Contains('\\') || id is "." or "..")
        {
            throw new BootCountingException($"{UntrustedText.Escape(variable)}: the entry identifier '{UntrustedText.Escape(id)}' is not a file name, refusing.");
        }

        var candidates = new List<(string Directory, string Name)>();
        if (id.EndsWith(".efi", StringComparison.OrdinalIgnoreCase))
        {
            candidates.Add((UkiDirectory, id));
        }
        else if (id.EndsWith(".conf", StringComparison.OrdinalIgnoreCase))
        {
            candidates.Add((EntriesDirectory, id));
        }
        else
        {
            candidates.Add((EntriesDirectory, id + ".conf"));
            candidates.Add((UkiDirectory, id + ".efi"));
        }

        foreach (var root in bootRoots)
        {
            foreach (var (directory, name) in candidates)
            {
                var path = Path.Join(root, directory);
                var selected = BootCounterName.ParseLenient(name);
                if ((selected.HasCounter ? Find(path, selected) : FindUncounted(path, selected)) is { } entry)
                {
                    return entry;
                }
            }
        }

        throw NotFound(string.Join("' or '", candidates.Select(c => $"{c.Directory}/{c.Name}")), "LoaderEntrySelected", variable, bootRoots);
    }

    /// <summary>The entry under its booted, good or bad name, in that order (as bless-boot looks for it).</summary>
    private static BootEntry? Find(string directory, BootCounterName booted)
    {
        foreach (var name in new[] { booted.FileName, booted.GoodName, booted.BadName })
        {
            if (File.Exists(Path.Combine(directory, name)))
            {
                return new BootEntry(directory, booted, name);
            }
        }

        return null;
    }

    /// <summary>
    /// An entry booted without a counter, under its own name or the "+0" one a rollback gives it.
    /// systemd-boot lowercases identifiers and FAT ignores case, so the name is matched without case
    /// and the entry keeps the name it has on disk (the pattern that finds its version may care).
    /// </summary>
    private static BootEntry? FindUncounted(string directory, BootCounterName selected)
    {
        if (!Directory.Exists(directory))
        {
            return null;
        }

        var names = Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>().ToList();
        string? Actual(string wanted) =>
            names.FirstOrDefault(n => n == wanted) ?? names.FirstOrDefault(n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase));

        if (Actual(selected.FileName) is { } good)
        {
            return new BootEntry(directory, BootCounterName.ParseLenient(good), good);
        }

        if (Actual(selected.BadName) is { } bad)
        {
            return new BootEntry(directory, BootCounterName.ParseLenient(BootCounterName.ParseLenient(bad).GoodName), bad);
        }

        return null;
    }

    private static BootCountingException NotFound(string what, string source, string variable, IReadOnlyList<string> bootRoots) =>
        new($"Cannot find the booted entry '{UntrustedText.Escape(what)}' (from {source}, {UntrustedText.Escape(variable)}) under {string.Join(" or ", bootRoots.Select(r => $"'{UntrustedText.Escape(r)}'"))}, under its booted, good or bad name.");
}
