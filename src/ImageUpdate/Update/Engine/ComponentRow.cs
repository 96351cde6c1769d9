namespace ImageUpdate.Update.Engine;

/// <summary>A row of `components`: <paramref name="Name"/> null is the default set, which has no enabled or suggested state.</summary>
public sealed record ComponentRow(string? Name, bool? Enabled, bool? Suggested, string? Description, IReadOnlyList<string> Documentation);
