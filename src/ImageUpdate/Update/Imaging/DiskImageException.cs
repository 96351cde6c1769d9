using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Update.Imaging;

/// <summary>A disk image cannot be planned or built: the partitions do not fit, the size is too small, a tool failed.</summary>
public sealed class DiskImageException : ImageUpdateException
{
    public DiskImageException(string message) : base(message) { }

    public DiskImageException(string message, Exception inner) : base(message, inner) { }
}
