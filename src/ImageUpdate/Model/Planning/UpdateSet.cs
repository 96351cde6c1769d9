namespace ImageUpdate.Model.Planning;

/// <summary>
/// One version and, keyed by transfer id, the instance that provides it: the target's instance when
/// installed there, else the source's. A transfer without one (incomplete or partial sets) has no key.
/// </summary>
public sealed record UpdateSet(string Version, UpdateSetFlags Flags, IReadOnlyDictionary<string, SetInstance> Instances)
{
    public bool Has(UpdateSetFlags flags) => (Flags & flags) == flags;

    /// <summary>The assessment word `list` prints (current, candidate, installed+incomplete, ...).</summary>
    public string Assessment => Assessments.Describe(Flags);

    /// <summary>The instance of transfer <paramref name="transferId"/>, or null when the set lacks it.</summary>
    public SetInstance? For(string transferId) => Instances.GetValueOrDefault(transferId);
}
