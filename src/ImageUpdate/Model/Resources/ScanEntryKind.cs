namespace ImageUpdate.Model.Resources;

/// <summary>What a directory entry is, as far as instance matching cares.</summary>
public enum ScanEntryKind
{
    Regular,
    Directory,

    /// <summary>A symbolic link, FIFO, socket or device: never an instance, never descended into.</summary>
    Other,
}
