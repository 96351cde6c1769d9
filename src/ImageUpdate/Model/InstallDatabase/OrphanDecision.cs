namespace ImageUpdate.Model.InstallDatabase;

/// <summary>What cleanup does with one entry of a recorded directory.</summary>
public enum OrphanDecision
{
    /// <summary>The recorded pattern does not match it: not ours to judge.</summary>
    Ignore,

    /// <summary>A directory the recorded pattern may match inside of: look at its entries.</summary>
    Descend,

    /// <summary>Matched by the record and still owned by an enabled transfer: kept, and so is the record.</summary>
    Keep,

    /// <summary>Matched by the record and owned by no enabled transfer: removed.</summary>
    Remove,
}
