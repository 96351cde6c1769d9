namespace ImageUpdate.Update.Engine;

/// <summary>One transfer an update installed, and where to: the final path of a file or directory, the device of a partition.</summary>
public sealed record CompletedResource(string Transfer, string? Path);
