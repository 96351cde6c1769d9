namespace ImageUpdate.Update.Verity;

/// <summary>
/// One copy a <see cref="VerityCheck"/> reads: its name for messages (the partition label or file
/// path), the partition UUID it gets when pending (null: none set by the transfer or the source's @u),
/// and how to open its bytes from the start.
/// </summary>
public sealed record VerityPart(string Name, Guid? PartitionUuid, Func<CancellationToken, Task<Stream>> Open);
