namespace ImageUpdate.Platform.FileSystem;

/// <summary>One sync that <see cref="Durability"/> made and the kernel accepted: the call (fsync, syncfs or sync) and the path it was for.</summary>
internal sealed record SyncCall(string Call, string Path);
