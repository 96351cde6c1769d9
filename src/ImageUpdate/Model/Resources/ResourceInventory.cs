using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Model.Resources;

/// <summary>
/// What one resource holds: its instances sorted newest first (ties by path, as sysupdate sorts them)
/// and, for partition tables, how many free (`_empty`) slots of the right type it has.
/// </summary>
public sealed class ResourceInventory
{
    public ResourceInventory(IEnumerable<Instance> instances, int emptySlots = 0)
    {
        var sorted = instances.ToList();
        sorted.Sort(static (a, b) =>
        {
            var byVersion = VersionComparer.CompareVersions(b.Version, a.Version);
            return byVersion != 0 ? byVersion : string.CompareOrdinal(a.Path, b.Path);
        });
        Instances = sorted;
        EmptySlots = emptySlots;
    }

    public static ResourceInventory Empty { get; } = new([]);

    /// <summary>Newest first.</summary>
    public IReadOnlyList<Instance> Instances { get; }

    public int EmptySlots { get; }

    /// <summary>The first (by path) instance whose version compares equal to <paramref name="version"/>.</summary>
    public Instance? Find(string version)
    {
        foreach (var instance in Instances)
        {
            if (VersionComparer.CompareVersions(instance.Version, version) == 0)
            {
                return instance;
            }
        }

        return null;
    }
}
