namespace ImageUpdate.Formats.Gpt;

/// <summary>
/// Which of systemd's attribute bits a partition type gives meaning to (gpt.c's
/// gpt_partition_type_knows_read_only / _growfs / _no_auto): bits 48-63 are type-specific, so
/// sysupdate sets ReadOnly=, PartitionGrowFileSystem= and PartitionNoAuto= only on types of the
/// Discoverable Partitions Specification that define them, and reads them back only there; repart
/// (and <c>Imaging.DiskLayoutPlanner</c>) applies ReadOnly=, GrowFileSystem= and NoAuto= by the same table.
/// The check is made against the configured type T, never the partial/pending types derived from it
/// (which systemd's table does not know, so its main branch would skip the bits in the pending write).
/// </summary>
public static class PartitionTypeTraits
{
    /// <summary>
    /// By designator (<see cref="Kind"/>), as systemd's gpt.c has it since the designator rework
    /// (v254; sysupdate 257 reads it so): the verity signature partitions know read-only too, which
    /// systemd 252's table (and so repart 252) did not list.
    /// </summary>
    private static readonly Dictionary<string, (bool ReadOnly, bool GrowFileSystem, bool NoAuto)> Table = new(StringComparer.Ordinal)
    {
        ["root"] = (true, true, true),
        ["usr"] = (true, true, true),
        ["root-verity"] = (true, false, true),
        ["usr-verity"] = (true, false, true),
        ["root-verity-sig"] = (true, false, false),
        ["usr-verity-sig"] = (true, false, false),
        ["home"] = (true, true, true),
        ["srv"] = (true, true, true),
        ["var"] = (true, true, true),
        ["tmp"] = (true, true, true),
        ["xbootldr"] = (true, true, true),
        ["swap"] = (false, false, true),
    };

    public static bool KnowsReadOnly(Guid type) => Traits(type).ReadOnly;

    public static bool KnowsGrowFileSystem(Guid type) => Traits(type).GrowFileSystem;

    public static bool KnowsNoAuto(Guid type) => Traits(type).NoAuto;

    /// <summary>A dm-verity hash partition (root-verity, usr-verity), which repart makes read-only unless told otherwise.</summary>
    public static bool IsVerityHash(Guid type) => Kind(type) is "root-verity" or "usr-verity";

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

    private static (bool ReadOnly, bool GrowFileSystem, bool NoAuto) Traits(Guid type) =>
        Kind(type) is { } kind && Table.TryGetValue(kind, out var traits) ? traits : default;
}
