using ImageUpdate.Model.Planning;
using ImageUpdate.Model.Resources;

namespace ImageUpdate.Update.Engine;

/// <summary>What `list` shows: every version, and the URLs the transfers advertise.</summary>
public sealed record ListResult(UpdatePlan Plan, IReadOnlyList<string> AppStreamUrls)
{
    /// <summary>The newest installed version (what `list --json` calls current), and whether it is still pending.</summary>
    public UpdateSet? Current => Plan.Sets.FirstOrDefault(s => s.Has(UpdateSetFlags.Installed | UpdateSetFlags.Newest));
}

/// <summary>One resource row of `list VERSION`.</summary>
public sealed record ResourceRow(string Type, Instance Instance);

/// <summary>What `list VERSION` shows.</summary>
public sealed record VersionDetails(UpdateSet Set, IReadOnlyList<ResourceRow> Resources, IReadOnlyList<string> ChangeLogUrls, bool ShowPartitionColumns, bool ShowFileSystemColumns);

/// <summary>How an `update`/`acquire` ended.</summary>
public enum UpdateOutcome
{
    /// <summary>Nothing newer: "No update needed."</summary>
    NothingToDo,

    /// <summary>The selected version is already installed.</summary>
    AlreadyInstalled,

    /// <summary>Acquired (acquire verb): pending until `update --offline` installs it.</summary>
    Acquired,

    /// <summary>Installed.</summary>
    Installed,
}

public sealed record UpdateResult(UpdateOutcome Outcome, string? Version);

public sealed record VacuumResult(int Removed, int DisabledTransfers);

public sealed record PendingResult(bool IsPending, string? NewestInstalled, string? BootedVersion);

public sealed record FeatureRow(string Name, bool Enabled, string? Description, IReadOnlyList<string> Documentation, string? AppStream, IReadOnlyList<string> Transfers)
{
    /// <summary>Suggest= or SuggestOn*= say so (262); null when a condition could not be tested.</summary>
    public bool? Suggested { get; init; }
}
