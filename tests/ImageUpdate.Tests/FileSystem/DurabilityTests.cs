using ImageUpdate.FileSystem;

namespace ImageUpdate.Tests.FileSystem;

public sealed class DurabilityTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void The_syncs_accept_files_and_directories_that_exist()
    {
        var file = _directory.Combine("file");
        File.WriteAllText(file, "x");

        Durability.FsyncFile(file);
        Durability.FsyncDirectory(_directory.Path);
        Durability.FsyncParentDirectory(file);
        Durability.SyncFileSystem(_directory.Path);
        Durability.SyncFileSystem(file);
        Durability.SyncAll();
    }

    [Fact]
    public void FsyncFile_of_a_missing_file_names_it()
    {
        var missing = _directory.Combine("missing\nname");

        var error = Assert.Throws<IOException>(() => Durability.FsyncFile(missing));

        Assert.Contains("missing\\nname", error.Message);
    }

    [Fact]
    public void FsyncDirectory_refuses_a_regular_file()
    {
        var file = _directory.Combine("file");
        File.WriteAllText(file, "x");

        var error = Assert.Throws<IOException>(() => Durability.FsyncDirectory(file));

        Assert.Contains("Not a directory", error.Message);
    }
}
