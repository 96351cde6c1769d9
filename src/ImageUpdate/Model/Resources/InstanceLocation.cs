namespace ImageUpdate.Model.Resources;

/// <summary>
/// Where an instance lives, as its resource finds it again: a path in a file tree, a slot of a
/// partition table, or an entry of a verified manifest. A closed set: the records below are the only kinds.
/// </summary>
public abstract record InstanceLocation
{
    private protected InstanceLocation()
    {
    }
}
