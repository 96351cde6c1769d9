namespace ImageUpdate.Tests.Support;

/// <summary>
/// The tests' one temporary directory: a fresh directory under /tmp, removed with everything in it
/// when the test ends, even read-only directories and files a failed test left immutable (chattr +i).
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string? prefix = null)
    {
        Path = Directory.CreateTempSubdirectory(prefix ?? "image-update-test-").FullName;
    }

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        if (TryDelete())
        {
            return;
        }

        // chattr +i/+a files or 0555 directories left by a failed test make a plain delete fail.
        TestProcess.Run("chattr", ["-R", "-i", "-a", Path]);
        TestProcess.Run("chmod", ["-R", "u+rwX", Path]);
        TryDelete();
    }

    private bool TryDelete()
    {
        try
        {
            if (!Directory.Exists(Path))
            {
                return true;
            }

            foreach (var entry in new DirectoryInfo(Path).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
            {
                if (entry is DirectoryInfo && entry.LinkTarget is null)
                {
                    entry.UnixFileMode |= UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.UserRead;
                }
            }

            Directory.Delete(Path, recursive: true);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
