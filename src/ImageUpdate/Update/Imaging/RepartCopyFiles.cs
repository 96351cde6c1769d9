namespace ImageUpdate.Update.Imaging;

/// <summary>One CopyFiles=SOURCE[:TARGET]: an absolute path under the copy source (build-image --copy-source) and where it goes in the file system (absolute; the source's path when not given).</summary>
public sealed record RepartCopyFiles(string Source, string Target);
