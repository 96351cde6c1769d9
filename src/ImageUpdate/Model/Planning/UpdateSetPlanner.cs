using ImageUpdate.Formats.Versions;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Model.Planning;

/// <summary>
/// Builds the update sets from the inventories and chooses the candidate, exactly as sysupdate does
/// (sysupdate.md §3, "Update sets" and "Candidate"). Pure: inventories in, plan out.
/// One extension: a version the boot loader gave up on (<see cref="UpdateSetFlags.Bad"/>) stays
/// installed but is passed over for newest, and no version up to the newest bad one is offered again,
/// so a rolled-back version is never installed and booted a second time. Versions remembered bad after
/// their copies were vacuumed (<c>rememberedBad</c>) count as bad too.
/// </summary>
public static class UpdateSetPlanner
{
    public static UpdatePlan Discover(IReadOnlyList<TransferInventory> transfers, bool offline, IReadOnlySet<string>? rememberedBad = null)
    {
        var state = new State();
        Walk(transfers, state, available: false);
        if (!offline)
        {
            Walk(transfers, state, available: true);
        }

        foreach (var set in state.Sets.Where(s => rememberedBad?.Contains(s.Version) == true && !s.Has(UpdateSetFlags.Installed)))
        {
            set.Flags |= UpdateSetFlags.Bad;
        }

        // The newest complete installed version is at least as new as the candidate: nothing to do.
        if (state.NewestInstalled is { } installed && !installed.Has(UpdateSetFlags.Incomplete) &&
            state.Candidate is { } candidate && VersionComparer.CompareVersions(installed.Version, candidate.Version) >= 0)
        {
            state.Candidate = null;
        }

        // A bad version was installed and failed to boot: neither it nor anything older is an update.
        if (state.Candidate is { } offered &&
            (state.Sets.Any(s => s.Has(UpdateSetFlags.Bad) && VersionComparer.CompareVersions(s.Version, offered.Version) >= 0) ||
             rememberedBad?.Any(v => VersionComparer.CompareVersions(v, offered.Version) >= 0) == true))
        {
            state.Candidate = null;
        }

        // A newest installed set that is still partial or pending becomes the candidate (to finish or to report).
        if (state.NewestInstalled is { } newest && (newest.Flags & (UpdateSetFlags.Pending | UpdateSetFlags.Partial)) != 0 &&
            state.Candidate is null)
        {
            state.Candidate = newest;
        }

        state.Candidate?.Flags |= UpdateSetFlags.Candidate;
        var sets = state.Sets.Select(s => s.Freeze()).ToList();
        sets.Sort(static (a, b) => VersionComparer.CompareVersions(b.Version, a.Version));
        UpdateSet? Frozen(Builder? b) => b is null ? null : sets.First(s => s.Version == b.Version);
        return new UpdatePlan(sets, Frozen(state.Candidate), Frozen(state.NewestInstalled));
    }

    private static void Walk(IReadOnlyList<TransferInventory> transfers, State state, bool available)
    {
        var flag = available ? UpdateSetFlags.Available : UpdateSetFlags.Installed;
        string? boundary = null;
        var newestFound = false;

        while (true)
        {
            // The newest version below the boundary, over all transfers.
            string? cursor = null;
            foreach (var transfer in transfers)
            {
                var inventory = available ? transfer.Source : transfer.Target;
                foreach (var instance in inventory.Instances)
                {
                    if (boundary is not null && VersionComparer.CompareVersions(instance.Version, boundary) >= 0)
                    {
                        continue;
                    }

                    if (cursor is null || VersionComparer.CompareVersions(instance.Version, cursor) > 0)
                    {
                        cursor = instance.Version;
                    }

                    break;
                }

                // An available version must be in every source: if this one has nothing older than the
                // boundary, every older version is incomplete somewhere, and incomplete is never offered.
                if (available && cursor is null)
                {
                    break;
                }
            }

            if (cursor is null)
            {
                return;
            }

            var skip = false;
            var extra = UpdateSetFlags.None;
            var instances = new Dictionary<string, SetInstance>(StringComparer.Ordinal);
            foreach (var transfer in transfers)
            {
                Instance? match;
                if (available)
                {
                    match = transfer.Source.Find(cursor);
                    if (match is null)
                    {
                        skip = true;
                        break;
                    }
                }
                else
                {
                    match = transfer.Target.Find(cursor);

                    // An incomplete installation still counts as installed, or the booted OS could be
                    // vacuumed away after a transfer was added (systemd #33339).
                    if (match is null && (extra & (UpdateSetFlags.Partial | UpdateSetFlags.Pending)) == 0)
                    {
                        extra |= UpdateSetFlags.Incomplete;
                    }
                }

                if (match is not null)
                {
                    instances[transfer.Id] = new SetInstance(match, available ? InstanceOrigin.Source : InstanceOrigin.Target);
                }

                if (transfer.MinVersion is not null && VersionComparer.CompareVersions(transfer.MinVersion, cursor) > 0)
                {
                    extra |= UpdateSetFlags.Obsolete;
                }

                if (transfer.MaxVersion is not null && VersionComparer.CompareVersions(cursor, transfer.MaxVersion) > 0)
                {
                    extra |= UpdateSetFlags.TooNew;
                }

                if (transfer.ProtectedVersions.Contains(cursor))
                {
                    extra |= UpdateSetFlags.Protected;
                }

                if (match is { IsPartial: true })
                {
                    extra = (extra | UpdateSetFlags.Partial) & ~UpdateSetFlags.Incomplete;
                }

                if (match is { IsPending: true })
                {
                    extra = (extra | UpdateSetFlags.Pending) & ~UpdateSetFlags.Incomplete;
                }

                // No boot tries left (a UKI named +0 or +0-DONE): the boot loader passes over it.
                if (!available && match is { IsPartial: false, IsPending: false, Metadata.TriesLeft: 0 })
                {
                    extra |= UpdateSetFlags.Bad;
                }
            }

            boundary = cursor;
            if (skip)
            {
                continue;
            }

            var existing = state.Sets.FirstOrDefault(s => VersionComparer.CompareVersions(s.Version, cursor) == 0);
            if (existing is not null)
            {
                if ((existing.Flags & (UpdateSetFlags.Incomplete | UpdateSetFlags.Partial | UpdateSetFlags.Pending)) != 0)
                {
                    foreach (var (id, instance) in instances)
                    {
                        existing.Instances.TryAdd(id, instance);
                    }
                }

                existing.Flags |= flag | extra;

                // The newest installed version, incomplete and now known to be available: repair it in place.
                if (existing.Has(UpdateSetFlags.Newest | UpdateSetFlags.Installed | UpdateSetFlags.Incomplete | UpdateSetFlags.Available) &&
                    state.Candidate is null && !existing.Has(UpdateSetFlags.Obsolete))
                {
                    state.Candidate = existing;
                }

                newestFound = true;
                continue;
            }

            // A bad version is not the newest installed one: the one the boot loader falls back to is.
            var bad = (extra & UpdateSetFlags.Bad) != 0;
            var set = new Builder(cursor, flag | (newestFound || bad ? UpdateSetFlags.None : UpdateSetFlags.Newest) | extra, instances);
            state.Sets.Add(set);
            newestFound |= !bad;

            if (set.Has(UpdateSetFlags.Newest | UpdateSetFlags.Installed))
            {
                state.NewestInstalled = set;
            }

            const UpdateSetFlags candidateMask = UpdateSetFlags.Newest | UpdateSetFlags.Installed | UpdateSetFlags.Available | UpdateSetFlags.Obsolete | UpdateSetFlags.TooNew;
            if ((set.Flags & candidateMask) == (UpdateSetFlags.Newest | UpdateSetFlags.Available))
            {
                state.Candidate = set;
            }
        }
    }

    private sealed class State
    {
        public List<Builder> Sets { get; } = [];

        public Builder? Candidate { get; set; }

        public Builder? NewestInstalled { get; set; }
    }

    private sealed class Builder(string version, UpdateSetFlags flags, Dictionary<string, SetInstance> instances)
    {
        public string Version { get; } = version;

        public UpdateSetFlags Flags { get; set; } = flags;

        public Dictionary<string, SetInstance> Instances { get; } = instances;

        public bool Has(UpdateSetFlags f) => (Flags & f) == f;

        public UpdateSet Freeze() => new(Version, Flags, new Dictionary<string, SetInstance>(Instances, StringComparer.Ordinal));
    }
}
