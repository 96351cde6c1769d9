namespace ImageUpdate.Platform.Archives;

/// <summary>What is applied to an unpacked or copied entry: all twelve mode bits, numeric owner, modification time in microseconds.</summary>
internal sealed record EntryMetadata(UnixFileMode Mode, uint Uid, uint Gid, long ModificationTimeMicroseconds);
