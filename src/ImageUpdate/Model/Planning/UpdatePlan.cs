namespace ImageUpdate.Model.Planning;

/// <summary>Every known version newest first, the one to install (if any) and the newest installed one.</summary>
public sealed record UpdatePlan(IReadOnlyList<UpdateSet> Sets, UpdateSet? Candidate, UpdateSet? NewestInstalled)
{
    public UpdateSet? Find(string version) => Sets.FirstOrDefault(s => s.Version == version);
}
