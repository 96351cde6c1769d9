namespace ImageUpdate.Model.Definitions;

/// <summary>The `components` verb: the sysupdate.NAME.d components found, and whether sysupdate.d exists.</summary>
public sealed record ComponentListing(IReadOnlyList<string> Components, bool HasDefault);
