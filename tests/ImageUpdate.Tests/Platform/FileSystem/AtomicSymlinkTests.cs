using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

public sealed class AtomicSymlinkTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Replace_creates_a_missing_symlink()
    {
        var link = _directory.Combine("current");

        AtomicSymlink.Replace(link, "foo_1.2.raw");

        Assert.Equal("foo_1.2.raw", new FileInfo(link).LinkTarget);
        Assert.Single(Directory.GetFileSystemEntries(_directory.Path));
    }

    [Fact]
    public void Replace_repoints_an_existing_symlink_without_touching_its_old_target()
    {
        var oldTarget = _directory.Combine("old");
        File.WriteAllText(oldTarget, "old");
        var link = _directory.Combine("current");
        File.CreateSymbolicLink(link, "old");

        AtomicSymlink.Replace(link, "new");

        Assert.Equal("new", new FileInfo(link).LinkTarget);
        Assert.Equal("old", File.ReadAllText(oldTarget));
        Assert.Equal(2, Directory.GetFileSystemEntries(_directory.Path).Length);
    }

    [Fact]
    public void Replace_refuses_to_replace_a_directory_and_cleans_up()
    {
        var link = _directory.Combine("current");
        Directory.CreateDirectory(link);

        Assert.Throws<IOException>(() => AtomicSymlink.Replace(link, "new"));

        Assert.Equal(FileKind.Directory, FileMetadata.GetStatus(link).Kind);
        Assert.Single(Directory.GetFileSystemEntries(_directory.Path));
    }
}
