using System.Globalization;
using System.Text;
using ImageUpdate.Platform.Processes;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// Makes a FAT file system in a file with mkfs.vfat (dosfstools 4.2), reproducibly: --invariant fixes
/// what mkfs.fat would otherwise take from the clock or chance (the volume label's timestamp, the
/// volume id, which -i then sets to the value repart would derive), and the geometry follows from the
/// size and sector size alone.
/// </summary>
internal sealed class FatFormatter(IProcessRunner runner)
{
    /// <summary>mkfs.fat's warning when FAT32 is forced on too few clusters (fewer than 65525: not a valid FAT32).</summary>
    private const string TooFewClustersWarning = "Number of clusters for 32 bit FAT is less then suggested minimum";

    /// <summary>
    /// Formats <paramref name="path"/> (already of the partition's size). repart forces FAT32 (-F 32)
    /// whatever the size; FAT32 below 65525 clusters contradicts the FAT specification, which decides the
    /// FAT type by the cluster count alone, so where mkfs.fat warns about that we let it choose FAT12/16
    /// instead (an ESP of 32 MiB or less at 512-byte sectors, 256 MiB or less at 4096). UEFI firmware reads
    /// all three. Returns the FAT type chosen: 32, or 0 for mkfs.fat's own choice.
    /// </summary>
    public async Task<int> FormatAsync(string path, int sectorSize, uint volumeId, string label, CancellationToken cancellationToken)
    {
        var result = await RunAsync(path, sectorSize, volumeId, label, fat32: true, cancellationToken).ConfigureAwait(false);
        if (!result.StandardError.Contains(TooFewClustersWarning, StringComparison.Ordinal) && !result.StandardOutput.Contains(TooFewClustersWarning, StringComparison.Ordinal))
        {
            return 32;
        }

        // mkfs.fat rewrites the boot sector, FATs and root directory it chooses; the rest of the file is
        // still zero from truncation, but clear it anyway so no FAT32 remnant (backup boot sector) stays.
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            var length = file.Length;
            file.SetLength(0);
            file.SetLength(length);
        }

        await RunAsync(path, sectorSize, volumeId, label, fat32: false, cancellationToken).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// repart's mangle_fat_label: non-ASCII characters become '_', at most 11 characters, upper case, and
    /// the characters mkfs.vfat refuses (*?.,;:/\|+=&lt;&gt;[]" and controls) become '_'.
    /// </summary>
    public static string MangleLabel(string label)
    {
        var builder = new StringBuilder();
        foreach (var rune in label.EnumerateRunes())
        {
            if (builder.Length == 11)
            {
                break;
            }

            var c = rune.IsAscii ? (char)rune.Value : '_';
            builder.Append(char.IsControl(c) || "*?.,;:/\\|+=<>[]\"".Contains(c, StringComparison.Ordinal) ? '_' : char.ToUpperInvariant(c));
        }

        return builder.ToString();
    }

    private Task<ProcessResult> RunAsync(string path, int sectorSize, uint volumeId, string label, bool fat32, CancellationToken cancellationToken)
    {
        // --invariant first: it also sets a volume id, which the later -i then overrides.
        var arguments = new List<string>
        {
            "--invariant",
            "-i", volumeId.ToString("x8", CultureInfo.InvariantCulture),
            "-S", sectorSize.ToString(CultureInfo.InvariantCulture),
        };
        var mangled = MangleLabel(label);
        if (mangled.Length > 0)
        {
            arguments.AddRange(["-n", mangled]);
        }

        if (fat32)
        {
            arguments.AddRange(["-F", "32"]);
        }

        arguments.Add(path);
        return runner.RunAsync(new ProcessRequest("mkfs.vfat", arguments), cancellationToken);
    }
}
