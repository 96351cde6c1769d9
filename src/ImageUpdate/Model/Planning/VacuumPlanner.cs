using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Model.Planning;

/// <summary>Why an instance is to be removed; `vacuum` says it in its log line.</summary>
public enum RemovalReason
{
    Partial,
    Pending,
    Old,
    Disabled,

    /// <summary>A version the boot loader gave up on (image-update's extension, <see cref="UpdateSetFlags.Bad"/>).</summary>
    Bad,
}

/// <summary>One instance a vacuum removes.</summary>
public sealed record Removal(Instance Instance, RemovalReason Reason);

/// <summary>
/// Chooses what a vacuum of one transfer's target removes (sysupdate.md §3, "Vacuum"): leftovers
/// first, then (image-update's extension) unprotected versions that failed to boot (all of them for
/// the vacuum verb, as many as needed when making room), then the oldest unprotected instances until the target holds at most InstancesMax - space (partition
/// tables also count their free slots), never the last copy. Pure: the caller removes, in the order given.
/// </summary>
public static class VacuumPlanner
{
    /// <summary>Marks "remove every instance" (a disabled transfer).</summary>
    public const int WipeAll = int.MaxValue;

    /// <param name="instancesMax">InstancesMax= (or -m); int.MaxValue means unlimited.</param>
    /// <param name="space">How many free places to make: 0 for the vacuum verb, 1 before an acquire, <see cref="WipeAll"/>.</param>
    /// <param name="isProtected">ProtectVersion= and the version being acquired.</param>
    /// <param name="slots">For partition targets, their table (free slots count as room); null for files.</param>
    /// <param name="isBad">Versions marked bad across the component (the plan's <see cref="UpdateSetFlags.Bad"/>); null: none.</param>
    public static IReadOnlyList<Removal> Plan(
        ResourceInventory target,
        int instancesMax,
        int space,
        Func<string, bool> isProtected,
        SlotTable? slots,
        Func<string, bool>? isBad = null)
    {
        var removals = new List<Removal>();
        var remaining = new List<Instance>();
        var empty = target.EmptySlots;

        foreach (var instance in target.Instances)
        {
            if (!instance.IsPartial && !instance.IsPending)
            {
                remaining.Add(instance);
                continue;
            }

            // A pending copy of a protected version (or of the one being acquired) is kept: it is the
            // work of an earlier acquire that install will finish.
            if (instance.IsPending && isProtected(instance.Version))
            {
                remaining.Add(instance);
                continue;
            }

            removals.Add(new Removal(instance, instance.IsPartial ? RemovalReason.Partial : RemovalReason.Pending));
            if (slots is not null)
            {
                empty++;
            }
        }

        // A bad version will not boot again and is never offered again: the vacuum verb removes every
        // one (but never the last copy); making room for an update takes them before any good one.
        isBad ??= static _ => false;
        if (space == 0)
        {
            for (var i = remaining.Count - 1; i >= 0 && remaining.Count > 1; i--)
            {
                if (isBad(remaining[i].Version) && !isProtected(remaining[i].Version))
                {
                    removals.Add(new Removal(remaining[i], RemovalReason.Bad));
                    remaining.RemoveAt(i);
                    if (slots is not null)
                    {
                        empty++;
                    }
                }
            }
        }

        long limit;
        if (instancesMax == int.MaxValue)
        {
            limit = long.MaxValue;
        }
        else if (space == WipeAll)
        {
            limit = 0;
        }
        else if (space > instancesMax)
        {
            throw new UpdateException("Asked to delete more instances than the total maximum allowed number of instances, refusing.");
        }
        else if (space == instancesMax)
        {
            throw new UpdateException("Asked to delete all possible instances, can't allow that: one instance must always remain.");
        }
        else
        {
            limit = instancesMax - space;
        }

        if (slots is { TypeDescription: var partitionTypeDescription } && space != WipeAll)
        {
            var total = empty + remaining.Count;
            if (total < 2)
            {
                throw new UpdateException($"Partition table has less than two partition slots of the right type {partitionTypeDescription}, refusing.");
            }

            if (space > total)
            {
                throw new UpdateException($"Partition table does not have enough partition slots of the right type {partitionTypeDescription} for this operation.");
            }

            if (space == total)
            {
                throw new UpdateException($"Asked to empty all partition table slots of the right type {partitionTypeDescription}, can't allow that: one instance must always remain.");
            }

            var mustFree = Math.Max(0, space - empty);
            limit = Math.Min(limit, Math.Max(0, remaining.Count - mustFree));
        }

        // Oldest unprotected first; remaining is newest first.
        while (remaining.Count > limit)
        {
            var index = remaining.FindLastIndex(i => isBad(i.Version) && !isProtected(i.Version));
            var reason = RemovalReason.Bad;
            if (index < 0 || space == WipeAll)
            {
                index = remaining.FindLastIndex(i => !isProtected(i.Version));
                reason = space == WipeAll ? RemovalReason.Disabled : RemovalReason.Old;
            }

            if (index < 0)
            {
                break;
            }

            removals.Add(new Removal(remaining[index], reason));
            remaining.RemoveAt(index);
        }

        return removals;
    }
}
