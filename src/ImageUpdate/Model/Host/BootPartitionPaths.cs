namespace ImageUpdate.Model.Host;

/// <summary>Where the ESP and XBOOTLDR are mounted, as found by <see cref="BootPartitionLocator"/>.</summary>
public sealed record BootPartitionPaths(string? Esp, string? Xbootldr);
