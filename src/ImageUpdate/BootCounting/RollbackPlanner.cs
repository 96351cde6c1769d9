using ImageUpdate.Errors;
using ImageUpdate.Planning;
using ImageUpdate.Versions;

namespace ImageUpdate.BootCounting;

/// <summary>
/// Which version `rollback` goes back to: the newest installed version older than the booted one that
/// is known good, that is complete and not bad (its UKI has no counter, or still has tries left).
/// Marking the booted entry bad then makes the boot loader pick it, as long as nothing newer is bootable.
/// </summary>
public static class RollbackPlanner
{
    private const UpdateSetFlags Unusable = UpdateSetFlags.Bad | UpdateSetFlags.Partial | UpdateSetFlags.Pending | UpdateSetFlags.Incomplete;

    public static UpdateSet ChooseTarget(UpdatePlan plan, string bootedVersion) =>
        plan.Sets.FirstOrDefault(s => s.Has(UpdateSetFlags.Installed) && (s.Flags & Unusable) == 0 &&
                                      VersionComparer.CompareVersions(s.Version, bootedVersion) < 0)
        ?? throw new BootCountingException(
            $"Refusing to roll back from '{UntrustedText.Escape(bootedVersion)}': no older installed version is known good (complete, and not marked bad).");

    /// <summary>Installed versions newer than the booted one that are not bad: the boot loader would try them before the target.</summary>
    public static IReadOnlyList<UpdateSet> NewerBootable(UpdatePlan plan, string bootedVersion) =>
        plan.Sets.Where(s => s.Has(UpdateSetFlags.Installed) && (s.Flags & Unusable) == 0 &&
                             VersionComparer.CompareVersions(s.Version, bootedVersion) > 0).ToList();
}
