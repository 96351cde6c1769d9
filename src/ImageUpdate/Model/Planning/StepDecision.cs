namespace ImageUpdate.Model.Planning;

/// <summary>How the step planner answered.</summary>
public enum StepDecision
{
    /// <summary>No version to act on (no candidate).</summary>
    NothingToDo,

    /// <summary>The selected version is installed already.</summary>
    AlreadyInstalled,

    /// <summary>The steps are to be executed.</summary>
    Proceed,

    /// <summary>Refused: <see cref="UpdateSteps.Refusal"/> says why, in sysupdate's words.</summary>
    Refused,
}
