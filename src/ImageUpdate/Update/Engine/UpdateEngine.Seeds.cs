using ImageUpdate.Formats.Gpt;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Planning;
using ImageUpdate.Model.Resources;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Update.Delta;
using ImageUpdate.Update.Transfers;
using ImageUpdate.Update.Transfers.Partitions;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Engine;

public sealed partial class UpdateEngine
{
    /// <summary>
    /// What a payload rebuilt from a chunk index may reuse, read after the vacuum (which may have
    /// freed an instance's slot for this very write):
    /// <list type="bullet">
    /// <item>every instance of the transfer the target still holds (the other partition slots,
    /// installed files, a copy an earlier attempt left partial), a complete one with its version, so
    /// that the server's index of that version can say where its chunks are;</item>
    /// <item>for a partition target, every free slot, in place only (<see cref="Seed.InPlace"/>): the
    /// slot this write claims is one of them, chosen only once the payload is open, so a chunk is taken
    /// from one only at its own offset in the result, which is read before the write reaches it. That
    /// is also how an interrupted attempt's bytes (its slot was freed again at the start) are reused;</item>
    /// <item>a regular-file target's copies of earlier attempts (<see cref="LeftoverCopies"/>), held open
    /// across the making of room that removed their names;</item>
    /// <item>then the --seed paths.</item>
    /// </list>
    /// Only regular files and block devices; every chunk read from a seed is hashed before it is
    /// used, so a seed that is not what it seemed costs a download, nothing more.
    /// </summary>
    private async Task<IReadOnlyList<Seed>> SeedsForAsync(TransferRuntime transfer, LeftoverCopies leftovers, CancellationToken cancellationToken)
    {
        var current = await transfer.Target.LoadAsync(cancellationToken).ConfigureAwait(false);
        var seeds = new List<Seed>(leftovers.SeedsFor(transfer.Id));
        foreach (var instance in current.Instances)
        {
            var version = instance.IsPartial ? null : instance.Metadata.Version;
            if (instance.Location is PartitionLocation { Slot: var slot } && transfer.Target is PartitionTarget { Disk: var disk })
            {
                seeds.Add(new Seed(disk, slot.Offset, slot.Size) { Version = version });
            }
            else if (File.Exists(instance.Path))
            {
                seeds.Add(new Seed(instance.Path) { Version = version });
            }
        }

        if (transfer.Target is PartitionTarget partitions)
        {
            try
            {
                using var gpt = GptDisk.Open(partitions.Disk);
                seeds.AddRange(PartitionSlots.FreeSlots(gpt.ReadTable(), partitions.PartitionType, partitions.Disk)
                    .Select(free => new Seed(partitions.Disk, free.Offset, free.Size) { InPlace = true }));
            }
            catch (IOException e)
            {
                // Only a chance to reuse bytes is lost; the write reads the table again and reports its own error.
                _logger.LogDebug("Cannot read the free slots of '{Disk}' as seeds: {Error}", partitions.Disk, e.Message);
            }
        }

        seeds.AddRange(_options.Seeds.Select(path => new Seed(path)));
        return [.. seeds.Distinct()];
    }

    /// <summary>
    /// Opens, before making room removes them by name, the copies interrupted attempts left
    /// of each regular-file target about to be written (<see cref="FileTreeTarget.LeftoverCopiesAsync"/>),
    /// so their bytes seed the rebuild and go only when the result is disposed, after the writes. One
    /// that cannot be opened is only a lost chance to reuse bytes.
    /// </summary>
    private async Task<LeftoverCopies> HoldLeftoverCopiesAsync(LoadedContext context, UpdateSteps steps, CancellationToken cancellationToken)
    {
        var held = new LeftoverCopies();
        try
        {
            foreach (var transfer in context.Enabled)
            {
                // Only a url-file payload (from a server or staged) can be rebuilt from chunks; holding a
                // leftover for any other would only keep its blocks from being freed until the end.
                if (transfer.Target is not FileTreeTarget files || transfer.Definition.Source.Type != ResourceType.UrlFile || steps.For(transfer.Id) is not AcquireFromSource acquire)
                {
                    continue;
                }

                foreach (var path in await files.LeftoverCopiesAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (WhyNotHeld(path, acquire.Metadata.Size) is { } why)
                    {
                        _logger.LogDebug("Not seeding from '{Path}': {Why}", UntrustedText.Escape(path), why);
                        continue;
                    }

                    try
                    {
                        held.Add(transfer.Id, SeedFile.OpenWithoutLock(path));
                        _logger.LogDebug("Keeping '{Path}', left by an earlier attempt, as a seed.", UntrustedText.Escape(path));
                    }
                    catch (IOException e)
                    {
                        _logger.LogDebug("Not seeding from '{Path}': {Error}", UntrustedText.Escape(path), e.Message);
                    }
                }
            }
        }
        catch
        {
            held.Dispose();
            throw;
        }

        return held;
    }

    /// <summary>
    /// Why a leftover copy must be let go by making room rather than held, or null. On FAT (an ESP),
    /// whose driver keeps no list of unlinked open files, a power cut while it is held would leave its
    /// clusters allocated with no directory entry (lost clusters for fsck.fat). And its blocks stay in
    /// use until the writes are done, while the size check counted them as freed: it is held only when
    /// the file system has room for it and the payload side by side (the payload's size as the
    /// manifest gives it, else at least the leftover's own, which it is a prefix of). A download of
    /// unknown size that still runs out of room fails once, removes its own in-flight copy, and the
    /// next run finds the room.
    /// </summary>
    private static string? WhyNotHeld(string path, ulong? payloadSize)
    {
        var directory = Path.GetDirectoryName(path)!;
        return WhyNotHeld(
            Foundation.Native.Libc.FileSystemType.Of(directory),
            FileMetadata.TryGetStatus(path)?.Size ?? 0,
            payloadSize,
            FreeSpace.Available(directory));
    }

    /// <summary>The rule of <see cref="WhyNotHeld(string, ulong?)"/> on what statfs and stat said.</summary>
    internal static string? WhyNotHeld(long? fileSystemType, long leftover, ulong? payloadSize, long? available)
    {
        if (fileSystemType == Foundation.Native.Libc.FileSystemType.Fat)
        {
            return "it is on a FAT file system";
        }

        var payload = payloadSize is { } size ? (long)Math.Min(size, (ulong)(long.MaxValue / 2)) : leftover;
        return available is { } free && free - payload >= leftover
            ? null
            : $"the file system has no room for it ({leftover} bytes) beside the new copy";
    }
}
