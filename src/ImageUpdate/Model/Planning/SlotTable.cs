namespace ImageUpdate.Model.Planning;

/// <summary>
/// Says a vacuumed target is a partition table: its free slots count as room, and it must keep two
/// slots of its type. <paramref name="TypeDescription"/> is how refusals name that type.
/// </summary>
public sealed record SlotTable(string TypeDescription);
