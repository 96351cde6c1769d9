namespace ImageUpdate.Tests.Imaging;

/// <summary>A fresh directory under /tmp for definitions and images, removed when the test ends.</summary>
internal sealed class ImagingTempDirectory : IDisposable
{
    public ImagingTempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "imageupdate-imaging-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
