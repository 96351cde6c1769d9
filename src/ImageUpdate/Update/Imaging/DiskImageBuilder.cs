using ImageUpdate.Formats.Gpt;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Processes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// Writes the empty, bootable disk a <see cref="DiskLayout"/> describes: a sparse file of the layout's
/// size, the GPT (both copies and the protective MBR, through <see cref="GptDisk"/>), each Format=vfat
/// partition formatted (mkfs.vfat into a file of the partition's size, then copied into its byte range),
/// and systemd-boot installed into the ESP. Partitions without Format= stay zero, so empty slots are
/// empty. The same layout, options and tools give the same bytes.
/// </summary>
/// <remarks>
/// The image is built under a temporary name next to <c>output</c> and renamed over it only when
/// complete, so a failure or cancellation never leaves a half-written image at the output path.
/// </remarks>
public sealed class DiskImageBuilder
{
    /// <summary>The chunk copied at a time; all-zero chunks are skipped so the image stays sparse.</summary>
    private const int CopyChunk = 1 << 20;

    private readonly IProcessRunner _runner;
    private readonly ILogger _logger;

    public DiskImageBuilder(IProcessRunner runner, ILogger<DiskImageBuilder>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        _runner = runner;
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>
    /// Builds the image. <paramref name="fill"/>, when given, writes the partitions' contents into the new
    /// file before the partition table, and returns the layout the table then records (the verity
    /// partitions' UUIDs come from the root hash the contents give).
    /// </summary>
    public async Task<BuiltDiskImage> BuildAsync(DiskLayout layout, DiskImageOptions options, string output, CancellationToken cancellationToken = default,
        Func<FileStream, DiskLayout, CancellationToken, Task<DiskLayout>>? fill = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        cancellationToken.ThrowIfCancellationRequested();

        var image = new BuiltDiskImage(Path.GetFullPath(output), layout);
        var esp = image.Esp;
        if (options.InstallSystemdBoot)
        {
            if (esp is null)
            {
                throw new DiskImageException("The layout has no ESP partition with Format=vfat to install systemd-boot into.");
            }

            if (!File.Exists(options.SystemdBootPath))
            {
                throw new DiskImageException(
                    $"The systemd-boot EFI binary '{UntrustedText.Escape(options.SystemdBootPath)}' does not exist (install systemd-boot-efi).");
            }
        }

        var directory = Path.GetDirectoryName(image.Path)!;
        if (!Directory.Exists(directory))
        {
            throw new DiskImageException($"The directory '{UntrustedText.Escape(directory)}' for the disk image does not exist.");
        }

        var partial = Path.Combine(directory, $".{Path.GetFileName(image.Path)}.partial-{Guid.NewGuid():N}");
        var scratch = Directory.CreateTempSubdirectory("image-update-imaging-").FullName;
        try
        {
            using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                // SetLength on a new file makes a hole: the image takes no space until written.
                file.SetLength(checked((long)layout.SizeInBytes));
                if (fill is not null)
                {
                    layout = await fill(file, layout, cancellationToken).ConfigureAwait(false);
                    image = image with { Layout = layout };
                }

                using (var disk = GptDisk.FromStream(file, image.Path, layout.SectorSize))
                {
                    disk.WriteTable(layout.ToPartitionTable());
                }

                foreach (var partition in layout.Partitions.Where(p => p.Format == RepartFormat.Vfat))
                {
                    await FormatVfatAsync(file, layout.SectorSize, partition, scratch, cancellationToken).ConfigureAwait(false);
                }

                file.Flush(flushToDisk: true);
            }

            if (options.InstallSystemdBoot)
            {
                await InstallSystemdBootAsync(partial, esp!, options, scratch, cancellationToken).ConfigureAwait(false);
            }

            File.Move(partial, image.Path, overwrite: true);
            _logger.LogInformation("Wrote the {Size}-byte disk image {Path} with {Count} partitions.", layout.SizeInBytes, image.Path, layout.Partitions.Length);
            return image;
        }
        finally
        {
            File.Delete(partial);
            Directory.Delete(scratch, recursive: true);
        }
    }

    private async Task FormatVfatAsync(FileStream image, int sectorSize, PlannedPartition partition, string scratch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var volumeId = RepartUuids.FatVolumeId(partition.Uuid);
        var fat = Path.Combine(scratch, $"partition{partition.Number}.fat");
        using (var file = new FileStream(fat, FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength(checked((long)partition.Size));
        }

        var type = await new FatFormatter(_runner).FormatAsync(fat, sectorSize, volumeId, partition.Label, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Formatted partition {Number} ('{Label}') as {Fat} with volume id {VolumeId:X8}.",
            partition.Number, partition.Label, type == 32 ? "FAT32" : "FAT (mkfs.vfat's choice of 12/16)", volumeId);

        await CopyIntoAsync(fat, image, partition.Offset, partition.Size, cancellationToken).ConfigureAwait(false);
        File.Delete(fat);
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="image"/> at <paramref name="offset"/>, skipping zero chunks.</summary>
    private static async Task CopyIntoAsync(string source, FileStream image, ulong offset, ulong size, CancellationToken cancellationToken)
    {
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
        if ((ulong)input.Length != size)
        {
            throw new DiskImageException($"The file system made for the partition at byte {offset} is {input.Length} bytes, not the partition's {size}.");
        }

        var buffer = new byte[CopyChunk];
        long done = 0;
        while (true)
        {
            var read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            // The image is new and sparse: a chunk of zeros is already there, as a hole.
            if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
            {
                await RandomAccess.WriteAsync(image.SafeFileHandle, buffer.AsMemory(0, read), checked((long)offset + done), cancellationToken).ConfigureAwait(false);
            }

            done += read;
        }
    }

    /// <summary>
    /// The layout systemd-boot and bootctl(1) use: the loader as the removable-media default
    /// (EFI/BOOT/BOOTX64.EFI, what firmware boots without a boot entry) and in EFI/systemd/, loader.conf,
    /// and EFI/Linux/ for type #2 entries (UKIs), which the update path fills.
    /// </summary>
    private async Task InstallSystemdBootAsync(string image, PlannedPartition esp, DiskImageOptions options, string scratch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var time = options.SourceDateEpoch ?? DiskImageOptions.FatEpoch;
        var fat = new Platform.Fat.FatVolume(image, checked((long)esp.Offset), $"the ESP (partition {esp.Number}) of '{Foundation.Errors.UntrustedText.Escape(image)}'", _runner, time);
        foreach (var directory in new[] { "/EFI/BOOT", "/EFI/systemd", "/EFI/Linux", "/loader/entries" })
        {
            await fat.CreateDirectoriesAsync(directory, cancellationToken).ConfigureAwait(false);
        }

        var loader = options.SystemdBootPath;
        if (options.SecureBootSigner is { } signer)
        {
            // Authenticode over the PE image, as the firmware checks it against db (sbsign, sbsigntool).
            loader = Path.Combine(scratch, "systemd-bootx64.efi.signed");
            await _runner.RunAsync(new ProcessRequest("sbsign", ["--key", signer.Key, "--cert", signer.Certificate, "--output", loader, options.SystemdBootPath]), cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Signed systemd-boot for Secure Boot with {Certificate}.", signer.Certificate);
        }

        await fat.CopyInAsync(loader, "/EFI/BOOT/BOOTX64.EFI", keepModificationTime: false, cancellationToken).ConfigureAwait(false);
        await fat.CopyInAsync(loader, "/EFI/systemd/systemd-bootx64.efi", keepModificationTime: false, cancellationToken).ConfigureAwait(false);

        var loaderConf = Path.Combine(scratch, "loader.conf");
        await File.WriteAllTextAsync(loaderConf, options.LoaderConf, cancellationToken).ConfigureAwait(false);
        await fat.CopyInAsync(loaderConf, "/loader/loader.conf", keepModificationTime: false, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Installed systemd-boot from {Path} into partition {Number}.", options.SystemdBootPath, esp.Number);
    }
}
