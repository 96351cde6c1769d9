using ImageUpdate.Gpt;

namespace ImageUpdate.Transfers.Partitions;

/// <summary>
/// Which of systemd's attribute bits a partition type gives meaning to (gpt.c's
/// gpt_partition_type_knows_read_only / _growfs / _no_auto): bits 48-63 are type-specific, so
/// sysupdate sets ReadOnly=, PartitionGrowFileSystem= and PartitionNoAuto= only on types of the
/// Discoverable Partitions Specification that define them, and reads them back only there.
/// The check is made against the configured type T, never the partial/pending types derived from it
/// (which systemd's table does not know, so its main branch would skip the bits in the pending write).
/// </summary>
public static class PartitionTypeTraits
{
    private static readonly HashSet<string> ReadOnlyKinds = ["root", "usr", "root-verity", "usr-verity", "root-verity-sig", "usr-verity-sig", "home", "srv", "var", "tmp", "xbootldr"];
    private static readonly HashSet<string> GrowFileSystemKinds = ["root", "usr", "home", "srv", "var", "tmp", "xbootldr"];
    private static readonly HashSet<string> NoAutoKinds = ["root", "root-verity", "usr", "usr-verity", "home", "srv", "var", "tmp", "xbootldr", "swap"];

    public static bool KnowsReadOnly(Guid type) => Kind(type) is { } kind && ReadOnlyKinds.Contains(kind);

    public static bool KnowsGrowFileSystem(Guid type) => Kind(type) is { } kind && GrowFileSystemKinds.Contains(kind);

    public static bool KnowsNoAuto(Guid type) => Kind(type) is { } kind && NoAutoKinds.Contains(kind);

    /// <summary>
    /// The designator of a known type: its name without the architecture ("root-x86-64-verity" is
    /// "root-verity"), or the plain name (home, swap, xbootldr, ...).
    /// </summary>
    public static string? Kind(Guid type)
    {
        var name = PartitionType.NameOf(type);
        if (name is null)
        {
            return null;
        }

        foreach (var family in new[] { "root", "usr" })
        {
            if (name == family || name.StartsWith(family + "-", StringComparison.Ordinal))
            {
                if (name.EndsWith("-verity-sig", StringComparison.Ordinal))
                {
                    return family + "-verity-sig";
                }

                return name.EndsWith("-verity", StringComparison.Ordinal) ? family + "-verity" : family;
            }
        }

        return name;
    }
}
