using System.Security.Cryptography;
using System.Text;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.FileSystem;

namespace ImageUpdate.Update.Engine;

/// <summary>
/// The one lock every writing verb takes, so a second writer fails at once instead of waiting or
/// interleaving: for the host an flock on /run/image-update.lock (or $IMAGE_UPDATE_LOCK_PATH); for a
/// disk image (--image, build-image) a lock of that image alone, so image builds in CI run side by side
/// and beside the host's own updates, but never two on one image. The image's lock file sits next to
/// the host's, named after the image's full path (the image itself is flocked by the GPT code while its
/// table changes, which a lock on the same file would deadlock with); without a writable /run, in the
/// temporary directory.
/// </summary>
public static class UpdateLock
{
    public const string DefaultPath = "/run/image-update.lock";

    public static IDisposable Take(EngineOptions options)
    {
        var host = options.Environment.LockPath ?? DefaultPath;
        if (options.Image is { } image)
        {
            var name = $"image-update.image-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(image))))[..16]}.lock";
            var path = Path.Combine(Path.GetDirectoryName(host)!, name);
            FileLock? imageLock;
            bool taken;
            try
            {
                taken = FileLock.TryAcquire(path, out imageLock);
            }
            catch (IOException)
            {
                // /run not writable (a CI user) or missing: the temporary directory serves as well.
                path = Path.Combine(Path.GetTempPath(), name);
                taken = FileLock.TryAcquire(path, out imageLock);
            }

            return taken
                ? imageLock!
                : throw new UpdateException($"Another image-update is writing '{UntrustedText.Escape(image)}' (lock '{path}' is held); try again when it has finished.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(host)!);
        return FileLock.TryAcquire(host, out var held)
            ? held
            : throw new UpdateException($"Another update is running (lock '{host}' is held); try again when it has finished.");
    }
}
