namespace ImageUpdate.Platform.Fat;

/// <summary>One entry of a FAT listing: its path relative to the listed directory ('/'-separated).</summary>
public sealed record FatEntry(string RelativePath, bool IsDirectory);
