namespace ImageUpdate.Model.Planning;

/// <summary>
/// The step planner's answer: the selected set (if any), what to log (in order), and either a refusal
/// or, keyed by transfer id, one step per enabled transfer.
/// </summary>
public sealed record UpdateSteps(
    StepDecision Decision,
    UpdateSet? Set,
    IReadOnlyList<StepNote> Notes,
    IReadOnlyDictionary<string, TransferStep> Steps,
    string? Refusal = null)
{
    /// <summary>The step of transfer <paramref name="transferId"/>, or null when there is none.</summary>
    public TransferStep? For(string transferId) => Steps.GetValueOrDefault(transferId);

    /// <summary>Whether anything is to be written from a source (and so room made first).</summary>
    public bool Acquires => Steps.Values.Any(s => s is AcquireFromSource);
}
