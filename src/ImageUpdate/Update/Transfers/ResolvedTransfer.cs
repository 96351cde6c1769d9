namespace ImageUpdate.Update.Transfers;

/// <summary>A transfer's resources and the paths (or URL) they were resolved to.</summary>
public sealed record ResolvedTransfer(ISourceResource Source, ITargetResource Target, string SourcePath, string TargetPath);
