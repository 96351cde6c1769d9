namespace ImageUpdate.Model.Planning;

/// <summary>What is known about one version across all transfers (sysupdate.md §3, "Update sets").</summary>
[Flags]
public enum UpdateSetFlags
{
    None = 0,

    /// <summary>Present in the targets (possibly incomplete, partial or pending).</summary>
    Installed = 1 << 0,

    /// <summary>Present in the source of every enabled transfer.</summary>
    Available = 1 << 1,

    /// <summary>Older than MinVersion= of some transfer.</summary>
    Obsolete = 1 << 2,

    /// <summary>Listed in ProtectVersion= of some transfer.</summary>
    Protected = 1 << 3,

    /// <summary>The newest installed (or the newest available) version.</summary>
    Newest = 1 << 4,

    /// <summary>Installed, but some transfer's target lacks it.</summary>
    Incomplete = 1 << 5,

    /// <summary>Some target holds an interrupted (partial) copy.</summary>
    Partial = 1 << 6,

    /// <summary>Some target holds an acquired but not yet installed (pending) copy.</summary>
    Pending = 1 << 7,

    /// <summary>Newer than MaxVersion= of some transfer: never offered.</summary>
    TooNew = 1 << 8,

    /// <summary>The version `update` would install (upstream main's UPDATE_CANDIDATE; 257 derives the word from Newest).</summary>
    Candidate = 1 << 9,

    /// <summary>
    /// Installed, and the boot loader gave up on it: a target instance has no boot tries left (the
    /// pattern has @l and the name says +0). image-update's extension; sysupdate has no such state.
    /// A bad set is never the newest (current) one, never the candidate, and vacuum removes it first.
    /// </summary>
    Bad = 1 << 10,
}
