namespace ImageUpdate.Model.Planning;

/// <summary>What the step planner has to say about the selected version, in order; the engine logs each.</summary>
public enum StepNote
{
    /// <summary>No version selected and no candidate: "No update needed."</summary>
    NoUpdateNeeded,

    /// <summary>Installed but incomplete: the missing transfers are acquired.</summary>
    Repairing,

    /// <summary>Acquired earlier and pending installation.</summary>
    AlreadyPending,

    /// <summary>Installed already: nothing to do.</summary>
    AlreadyInstalled,

    /// <summary>A warning: the selected version is not the newest.</summary>
    NotNewest,

    /// <summary>A warning: a newer version is installed.</summary>
    OlderThanNewestInstalled,

    /// <summary>The version is selected for install.</summary>
    Selected,
}
