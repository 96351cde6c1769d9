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
        var slots = new Dictionary<string, SlotPool>(StringComparer.Ordinal);
        var spaces = new Dictionary<string, SpacePool>(StringComparer.Ordinal);

        // Making room wipes every disabled transfer's instances (and leftovers) as well: what that frees
        // is room for the enabled ones.
        foreach (var transfer in context.Disabled)
        {
            var removed = PlanRemovals(context, transfer, VacuumPlanner.WipeAll, null).Select(r => r.Instance).ToList();
            switch (await transfer.Target.RoomAsync(null, removed, cancellationToken).ConfigureAwait(false))
            {
                case SlotRoom room:
                    SlotsOf(slots, room).Offer(room.Candidates);
                    break;
                case SpaceRoom room:
                    SpaceOf(spaces, room).Add(room.Freed);
                    break;
                default:
                    break;
            }
        }

        foreach (var transfer in context.Enabled)
        {
            if (steps.For(transfer.Id) is not AcquireFromSource acquire)
            {
                continue;
            }

            var size = (long?)acquire.Metadata.Size ?? await transfer.Source.SizeAsync(acquire.Source, cancellationToken).ConfigureAwait(false);

            // As making room will: nothing is removed from a target that already holds the version, not
            // even its leftovers.
            var removed = transfer.TargetInventory.Find(version) is not null
                ? null
                : PlanRemovals(context, transfer, space: 1, extraProtected: version).Select(r => r.Instance).ToList();
            switch (await transfer.Target.RoomAsync(prepared[transfer.Id], removed, cancellationToken).ConfigureAwait(false))
            {
                case SlotRoom room:
                    var pool = SlotsOf(slots, room);
                    pool.Offer(room.Candidates);

                    // The claim takes the smallest free slot that holds the payload (any, when its size is
                    // unknown): each transfer of the same disk and type takes one of these in turn, and a
                    // slot taken stays taken however often a later transfer sees it free.
                    if (size is not null || pool.Candidates.Count > 0)
                    {
                        var chosen = PartitionSlots.Choose(pool.Candidates, size, $"'{UntrustedText.Escape(acquire.Source.Path)}' {room.Where}");
                        pool.Take(chosen);
                    }

                    break;
                case SpaceRoom room:
                    var space = SpaceOf(spaces, room);
                    space.Where ??= room.Where;
                    space.Add(room.Freed);
                    if (size is { } needed)
                    {
                        space.Payloads.Add((transfer.Id, acquire.Source.Path, needed));
                    }

                    break;
                default:
                    break;
            }
        }

        foreach (var pool in spaces.Values.Where(p => p.Payloads.Count > 0))
        {
            var needed = pool.Payloads.Sum(p => p.Size);
            var freed = pool.Freed.Values.Aggregate(0L, (sum, bytes) => sum > long.MaxValue - bytes ? long.MaxValue : sum + bytes);
            var available = pool.Available > long.MaxValue - freed ? long.MaxValue : pool.Available + freed;
            _logger.LogDebug("Room {Where}: {Needed} bytes needed, {Free} bytes free and {Freed} bytes freed by making room.", pool.Where, needed, pool.Available, freed);
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

    private static SlotPool SlotsOf(Dictionary<string, SlotPool> slots, SlotRoom room)
    {
        if (!slots.TryGetValue(room.Pool, out var pool))
        {
            slots[room.Pool] = pool = new SlotPool();
        }

        return pool;
    }

    private static SpacePool SpaceOf(Dictionary<string, SpacePool> spaces, SpaceRoom room)
    {
        if (!spaces.TryGetValue(room.Pool, out var pool))
        {
            spaces[room.Pool] = pool = new SpacePool(room.Available);
        }

        return pool;
    }

    /// <summary>One disk and partition type's slots as the size check hands them out: those still free, and those taken.</summary>
    private sealed class SlotPool
    {
        private readonly HashSet<int> _taken = [];

        public List<PartitionSlot> Candidates { get; } = [];

        /// <summary>Adds the slots neither offered before nor taken by an earlier transfer.</summary>
        public void Offer(IEnumerable<PartitionSlot> slots) =>
            Candidates.AddRange(slots.Where(c => !_taken.Contains(c.Index) && Candidates.All(k => k.Index != c.Index)));

        public void Take(PartitionSlot slot)
        {
            Candidates.Remove(slot);
            _taken.Add(slot.Index);
        }
    }

    /// <summary>One file system's room as the size check adds it up.</summary>
    private sealed class SpacePool(long available)
    {
        /// <summary>How the first enabled transfer writing here names the place.</summary>
        public string? Where { get; set; }

        public long Available { get; } = available;

        /// <summary>Bytes by removed path: a path several targets name is freed once.</summary>
        public Dictionary<string, long> Freed { get; } = new(StringComparer.Ordinal);

        public void Add(IReadOnlyDictionary<string, long> freed)
        {
            foreach (var (path, bytes) in freed)
            {
                Freed.TryAdd(path, bytes);
            }
        }

        public List<(string Transfer, string Source, long Size)> Payloads { get; } = [];
    }
}
