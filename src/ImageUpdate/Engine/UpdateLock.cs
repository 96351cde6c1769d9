using ImageUpdate.Errors;
using ImageUpdate.FileSystem;

namespace ImageUpdate.Engine;

/// <summary>
/// The one lock every writing verb takes (an flock on /run/image-update.lock, or
/// $IMAGE_UPDATE_LOCK_PATH): a second writer fails at once instead of waiting or interleaving.
/// </summary>
public static class UpdateLock
{
    public const string DefaultPath = "/run/image-update.lock";

    public static IDisposable Take(EngineOptions options)
    {
        var path = Environment.GetEnvironmentVariable("IMAGE_UPDATE_LOCK_PATH") is { Length: > 0 } p ? p : DefaultPath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return FileLock.TryAcquire(path, out var held)
            ? held
            : throw new UpdateException($"Another update is running (lock '{path}' is held); try again when it has finished.");
    }
}
