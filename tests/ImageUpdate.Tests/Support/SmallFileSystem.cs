namespace ImageUpdate.Tests.Support;

/// <summary>
/// A tmpfs of a given size mounted on a directory (root only), for a target that runs out of space
/// the way a small ESP does; unmounted again on dispose (lazily, so a test that failed half-way
/// still leaves nothing mounted).
/// </summary>
public sealed class SmallFileSystem : IDisposable
{
    public SmallFileSystem(string directory, int kibibytes)
    {
        TestEnvironment.RequireRoot("tmpfs mount for a full target");
        Directory.CreateDirectory(directory);
        var mount = TestProcess.Run("mount", ["-t", "tmpfs", "-o", $"size={kibibytes}k,mode=0755", "tmpfs", directory]);
        if (mount.ExitCode != 0)
        {
            throw new InvalidOperationException($"mount -t tmpfs failed: {mount}");
        }

        Path = directory;
    }

    public string Path { get; }

    public void Dispose() => TestProcess.Run("umount", ["-l", Path]);
}
