namespace ImageUpdate.Update.Engine;

/// <summary>How the components or features a verb acts on are chosen (262's SELECT_EXPLICIT, _ALL, _SUGGESTED).</summary>
public enum Selection
{
    /// <summary>By name (or -C).</summary>
    Explicit,

    /// <summary>-A / -a.</summary>
    All,

    /// <summary>-S / -s: those whose Suggest=/SuggestOn*= say so.</summary>
    Suggested,
}
