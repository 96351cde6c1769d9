namespace ImageUpdate.Update.Verity;

/// <summary>
/// One copy a <see cref="VerityCheck"/> reads: its name for messages (the partition label or file
/// path), the partition UUID it carries when pending (null: a file, or a part whose UUID is not known),
/// and how to open its bytes from the start.
/// </summary>
public sealed record VerityPart(string Name, Guid? PartitionUuid, Func<CancellationToken, Task<Stream>> Open);
