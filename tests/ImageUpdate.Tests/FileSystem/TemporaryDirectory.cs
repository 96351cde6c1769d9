namespace ImageUpdate.Tests.FileSystem;

/// <summary>A fresh directory under /tmp for one test, removed with everything in it afterwards.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory()
    {
        Path = Directory.CreateTempSubdirectory("image-update-test-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        // chattr +i or 0555 directories left by a failed test would make a plain delete fail.
        Tool.TryRun("chattr", "-R", "-i", "-a", Path);
        Tool.TryRun("chmod", "-R", "u+rwX", Path);
        Directory.Delete(Path, recursive: true);
    }
}
