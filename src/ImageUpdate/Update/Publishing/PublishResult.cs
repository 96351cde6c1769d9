namespace ImageUpdate.Update.Publishing;

/// <summary>What a publish did, for the command line to print.</summary>
/// <param name="Files">The version's files, in SHA256SUMS order.</param>
/// <param name="PrunedVersions">Versions --keep dropped, oldest last.</param>
/// <param name="DeletedFiles">Files removed from the output directory (pruned, or replaced by --force).</param>
/// <param name="Versions">The versions SHA256SUMS lists now, newest first.</param>
public sealed record PublishResult(
    string Version,
    IReadOnlyList<PublishedFile> Files,
    IReadOnlyList<string> PrunedVersions,
    IReadOnlyList<string> DeletedFiles,
    IReadOnlyList<string> Versions,
    string SigningKeyFingerprint,
    string KeyringPath,
    DateTimeOffset SignedAt);
