using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.FileSystem;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// Records the verdict on this boot in the entry's name, as systemd-bless-boot does
/// (systemd.io/AUTOMATIC_BOOT_ASSESSMENT): good drops the counter, bad sets the tries left to 0 and keeps
/// the tries done, indeterminate restores the name the entry was booted under. Each is one rename that
/// never replaces, made durable (file, directory, file system), and a no-op when the entry already
/// has the name: running a verdict twice is harmless.
/// </summary>
public sealed class BootBlesser
{
    private readonly ILogger _logger;

    public BootBlesser(ILogger logger)
    {
        _logger = logger;
    }

    /// <summary>Drops the counter. An entry booted without a counter is already good and is left alone.</summary>
    public BlessOutcome MarkGood(BootEntry entry) => RenameTo(entry, entry.Booted.GoodName, "good");

    /// <summary>
    /// Sets the tries left to 0 (an entry without a counter gets "+0"), so the boot loader falls back to
    /// another entry. Refuses when no other entry of the same kind in the same directory is good or still
    /// has tries left: marking the last bootable entry bad would leave the boot loader nothing better.
    /// </summary>
    public BlessOutcome MarkBad(BootEntry entry)
    {
        var target = entry.Booted.BadName;
        if (entry.CurrentFileName != target && !HasAnotherBootableEntry(entry))
        {
            throw new BootCountingException(
                $"Refusing to mark '{UntrustedText.Escape(entry.CurrentPath)}' bad: it is the only entry in '{UntrustedText.Escape(entry.Directory)}' that is good or has tries left, and nothing else would boot.");
        }

        return RenameTo(entry, target, "bad");
    }

    /// <summary>Undoes a good or bad verdict of this boot; impossible once the entry was booted on its last try.</summary>
    public BlessOutcome MarkIndeterminate(BootEntry entry)
    {
        if (!entry.Booted.HasCounter && entry.CurrentFileName == entry.Booted.FileName)
        {
            _logger.LogInformation("'{Entry}' was booted without a boot counter: nothing to reset.", UntrustedText.Escape(entry.CurrentPath));
            return new BlessOutcome(entry, entry, false);
        }

        if (entry.Booted.IsBad)
        {
            throw new BootCountingException($"'{UntrustedText.Escape(Path.Combine(entry.Directory, entry.Booted.FileName))}' was booted on its last try (already marked bad in a previous boot), it cannot be reset to indeterminate.");
        }

        return RenameTo(entry, entry.Booted.FileName, "indeterminate");
    }

    private BlessOutcome RenameTo(BootEntry entry, string target, string verdict)
    {
        var current = entry.CurrentPath;
        var after = entry with { CurrentFileName = target };
        if (entry.CurrentFileName == target)
        {
            _logger.LogInformation("'{Entry}' is already marked {Verdict}.", UntrustedText.Escape(current), verdict);
            return new BlessOutcome(entry, after, false);
        }

        var destination = Path.Combine(entry.Directory, target);
        try
        {
            AtomicRename.Rename(current, destination, replace: false);
        }
        catch (IOException e) when (e.HResult == Foundation.Native.Libc.EExist)
        {
            // Both names exist (a copy made by hand, a half-repaired ESP): the boot loader would still
            // see the booted name with its tries, so claiming the verdict would be a lie (and with
            // --reboot a loop into the same entry). Someone has to decide which file is meant.
            throw new BootCountingException(
                $"Cannot mark '{UntrustedText.Escape(current)}' {verdict}: '{UntrustedText.Escape(destination)}' exists too; remove the one that is not meant and run again.", e);
        }

        // The boot loader reads the name at the next boot, possibly after a power cut: make it durable.
        Durability.FsyncFile(destination);
        Durability.SyncFileSystem(entry.Directory);
        _logger.LogInformation("Marked '{Entry}' {Verdict}: renamed to '{Target}'.", UntrustedText.Escape(current), verdict, UntrustedText.Escape(target));
        return new BlessOutcome(entry, after, true);
    }

    /// <summary>
    /// Whether another entry of the same kind (extension) in the entry's directory is good or still
    /// has tries left, so the boot loader has something better to boot. Hidden files are not entries.
    /// </summary>
    public static bool HasAnotherBootableEntry(BootEntry entry)
    {
        var extension = Path.GetExtension(entry.CurrentFileName);
        return Directory.EnumerateFiles(entry.Directory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name != entry.CurrentFileName && !name.StartsWith('.') &&
                           string.Equals(Path.GetExtension(name), extension, StringComparison.OrdinalIgnoreCase))
            .Any(name => !BootCounterName.ParseLenient(name).IsBad);
    }
}
