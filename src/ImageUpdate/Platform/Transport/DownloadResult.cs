namespace ImageUpdate.Platform.Transport;

/// <summary>How a download to a file went.</summary>
/// <param name="Length">The size of the complete file.</param>
/// <param name="BytesFetched">Body bytes received by this call; less than <paramref name="Length"/> when a partial file was continued.</param>
/// <param name="Resumes">Times the download continued from where it was with a Range request.</param>
/// <param name="Restarts">Times bytes already written were thrown away because the server sent the whole (possibly changed) file.</param>
public sealed record DownloadResult(long Length, long BytesFetched, int Resumes, int Restarts);
