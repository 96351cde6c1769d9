using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Planning;

namespace ImageUpdate.Systemd.BootCounting;

/// <summary>
/// Which version `rollback` goes back to: the newest installed version older than the booted one that
/// is known good: complete, not bad, and blessed (no boot counter left in any of its names, so it has
/// proven itself in a boot). Marking the booted entry bad then makes the boot loader pick it, which
/// only holds when nothing newer is bootable: then the rollback is refused rather than promised.
/// </summary>
public static class RollbackPlanner
{
    private const UpdateSetFlags Unusable = UpdateSetFlags.Bad | UpdateSetFlags.Partial | UpdateSetFlags.Pending | UpdateSetFlags.Incomplete;

    public static UpdateSet ChooseTarget(UpdatePlan plan, string bootedVersion)
    {
        var newer = NewerBootable(plan, bootedVersion);
        if (newer.Count > 0)
        {
            throw new BootCountingException(
                $"Refusing to roll back from '{UntrustedText.Escape(bootedVersion)}': '{UntrustedText.Escape(newer[0].Version)}' is installed, newer and not bad, so the boot loader would start it; vacuum it or roll back from it first.");
        }

        return plan.Sets.FirstOrDefault(s => IsUsable(s) && IsBlessed(s) && VersionComparer.CompareVersions(s.Version, bootedVersion) < 0)
            ?? throw new BootCountingException(
                $"Refusing to roll back from '{UntrustedText.Escape(bootedVersion)}': no older installed version is known good (complete, not marked bad, and blessed in a boot).");
    }

    /// <summary>Installed versions newer than the booted one that are not bad: the boot loader would try them before the target.</summary>
    public static IReadOnlyList<UpdateSet> NewerBootable(UpdatePlan plan, string bootedVersion) =>
        plan.Sets.Where(s => IsUsable(s) && VersionComparer.CompareVersions(s.Version, bootedVersion) > 0).ToList();

    private static bool IsUsable(UpdateSet set) => set.Has(UpdateSetFlags.Installed) && (set.Flags & Unusable) == 0;

    /// <summary>No instance still counts boot tries: a counter is dropped only when a boot was blessed.</summary>
    private static bool IsBlessed(UpdateSet set) => set.Instances.Values.All(i => i.Instance.Metadata.TriesLeft is null);
}
