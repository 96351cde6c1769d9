using ImageUpdate.Formats.Gpt;
using ImageUpdate.Model.Resources;
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
    /// <item>then the --seed paths.</item>
    /// </list>
    /// Only regular files and block devices; every chunk read from a seed is hashed before it is
    /// used, so a seed that is not what it seemed costs a download, nothing more.
    /// </summary>
    private async Task<IReadOnlyList<Seed>> SeedsForAsync(TransferRuntime transfer, CancellationToken cancellationToken)
    {
        var current = await transfer.Target.LoadAsync(cancellationToken).ConfigureAwait(false);
        var seeds = new List<Seed>();
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
}
