namespace ImageUpdate.Platform.Transport;

/// <summary>How far a download to a file has come: the bytes in the file, and the whole size when the server (or the local file) says it.</summary>
public readonly record struct DownloadProgress(long Bytes, long? Total);
