using ImageUpdate.Formats.Gpt;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Planning;
using ImageUpdate.Update.Transfers;
using ImageUpdate.Update.Transfers.Partitions;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Engine;

public sealed partial class UpdateEngine
{
    /// <summary>
    /// The whole update's size check, once every transfer's source instance is chosen and before
    /// making room or the first write: each payload whose size is known (@s, else an uncompressed local
    /// or staged file's length) must fit where its target would put it once making room has run. A
    /// partition needs a slot of its own that large among the free slots and those making room frees
    /// (chosen as the claim will choose); file targets on one file system share its free bytes plus
    /// what making room deletes there (old instances and leftovers; never a protected or current one,
    /// which the same plan keeps), so their payloads are summed. A refusal names the transfer's source,
    /// the target and both sizes, and nothing has been changed. Payloads of unknown size (compressed
    /// without @s, downloads, trees) are left to the check each transfer makes when its write starts,
    /// which stays as the last line of defence.
    /// </summary>
    private async Task PreflightAsync(LoadedContext context, UpdateSteps steps, string version, IReadOnlyDictionary<string, PreparedTarget> prepared, CancellationToken cancellationToken)
    {
        var slots = new Dictionary<string, List<PartitionSlot>>(StringComparer.Ordinal);
        var spaces = new Dictionary<string, SpacePool>(StringComparer.Ordinal);
        foreach (var transfer in context.Enabled)
        {
            if (steps.For(transfer.Id) is not AcquireFromSource acquire)
            {
                continue;
            }

            var size = (long?)acquire.Metadata.Size ?? await transfer.Source.SizeAsync(acquire.Source, cancellationToken).ConfigureAwait(false);

            // As making room will: nothing is removed from a target that already holds the version.
            var removed = transfer.TargetInventory.Find(version) is not null
                ? []
                : PlanRemovals(context, transfer, space: 1, extraProtected: version).Select(r => r.Instance).ToList();
            switch (await transfer.Target.RoomAsync(prepared[transfer.Id], removed, cancellationToken).ConfigureAwait(false))
            {
                case SlotRoom room:
                    if (!slots.TryGetValue(room.Pool, out var candidates))
                    {
                        slots[room.Pool] = candidates = [];
                    }

                    candidates.AddRange(room.Candidates.Where(c => candidates.All(k => k.Index != c.Index)));

                    // The claim takes the smallest free slot that holds the payload (any, when its size is
                    // unknown): each transfer of the same disk and type takes one of these in turn.
                    if (size is not null || candidates.Count > 0)
                    {
                        var chosen = PartitionSlots.Choose(candidates, size, $"'{UntrustedText.Escape(acquire.Source.Path)}' {room.Where}");
                        candidates.Remove(chosen);
                    }

                    break;
                case SpaceRoom room:
                    if (!spaces.TryGetValue(room.Pool, out var pool))
                    {
                        spaces[room.Pool] = pool = new SpacePool(room.Where, room.Available);
                    }

                    pool.Freed += room.Freed;
                    if (size is { } needed)
                    {
                        pool.Payloads.Add((transfer.Id, acquire.Source.Path, needed));
                    }

                    break;
                default:
                    break;
            }
        }

        foreach (var pool in spaces.Values)
        {
            var needed = pool.Payloads.Sum(p => p.Size);
            var available = pool.Available > long.MaxValue - pool.Freed ? long.MaxValue : pool.Available + pool.Freed;
            _logger.LogDebug("Room {Where}: {Needed} bytes needed, {Free} bytes free and {Freed} bytes freed by making room.", pool.Where, needed, pool.Available, pool.Freed);
            if (needed <= available)
            {
                continue;
            }

            // One payload: the words of the check its write would make; several: each named with its share.
            throw new UpdateException(pool.Payloads.Count == 1
                ? $"Not enough free space {pool.Where} for '{UntrustedText.Escape(pool.Payloads[0].Source)}': {needed} bytes needed, {available} bytes available, refusing."
                : $"Not enough free space {pool.Where} for the transfers {string.Join(", ", pool.Payloads.Select(p => $"{UntrustedText.Escape(p.Transfer)} ('{UntrustedText.Escape(p.Source)}', {p.Size} bytes)"))}: {needed} bytes needed together, {available} bytes available, refusing.");
        }
    }

    /// <summary>One file system's room as the size check adds it up.</summary>
    private sealed class SpacePool(string where, long available)
    {
        public string Where { get; } = where;

        public long Available { get; } = available;

        public long Freed { get; set; }

        public List<(string Transfer, string Source, long Size)> Payloads { get; } = [];
    }
}
