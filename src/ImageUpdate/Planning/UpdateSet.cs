using ImageUpdate.Resources;

namespace ImageUpdate.Planning;

/// <summary>
/// One version and, per transfer (same order as the transfers), the instance that provides it: the
/// target's instance when installed there, else the source's, else null (incomplete/partial sets).
/// </summary>
public sealed record UpdateSet(string Version, UpdateSetFlags Flags, IReadOnlyList<Instance?> Instances)
{
    public bool Has(UpdateSetFlags flags) => (Flags & flags) == flags;

    /// <summary>The assessment word `list` prints (current, candidate, installed+incomplete, ...).</summary>
    public string Assessment => Assessments.Describe(Flags);
}
