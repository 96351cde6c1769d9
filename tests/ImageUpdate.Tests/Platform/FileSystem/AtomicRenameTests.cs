using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

public sealed class AtomicRenameTests : IDisposable
{
    private const int EExist = 17;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Rename_without_replace_moves_to_a_free_name()
    {
        var from = _directory.Combine(".sysupdate.pending.foo");
        File.WriteAllText(from, "new");
        var to = _directory.Combine("foo");

        AtomicRename.Rename(from, to, replace: false);

        Assert.False(File.Exists(from));
        Assert.Equal("new", File.ReadAllText(to));
    }

    [Fact]
    public void Rename_without_replace_leaves_both_files_when_the_name_is_taken()
    {
        var from = _directory.Combine("from");
        File.WriteAllText(from, "new");
        var to = _directory.Combine("to");
        File.WriteAllText(to, "old");

        var error = Assert.Throws<IOException>(() => AtomicRename.Rename(from, to, replace: false));

        Assert.Equal(EExist, error.HResult);
        Assert.Contains("File exists", error.Message);
        Assert.Equal("new", File.ReadAllText(from));
        Assert.Equal("old", File.ReadAllText(to));
    }

    [Fact]
    public void Rename_without_replace_counts_a_dangling_symlink_as_taken()
    {
        var from = _directory.Combine("from");
        File.WriteAllText(from, "new");
        var to = _directory.Combine("to");
        File.CreateSymbolicLink(to, "/nonexistent");

        Assert.Throws<IOException>(() => AtomicRename.Rename(from, to, replace: false));

        Assert.Equal("/nonexistent", new FileInfo(to).LinkTarget);
    }

    [Fact]
    public void Rename_with_replace_replaces_a_symlink_itself_and_not_its_target()
    {
        var target = _directory.Combine("target");
        File.WriteAllText(target, "target");
        var from = _directory.Combine("from");
        File.WriteAllText(from, "new");
        var to = _directory.Combine("to");
        File.CreateSymbolicLink(to, target);

        AtomicRename.Rename(from, to, replace: true);

        Assert.Equal(FileKind.Regular, FileMetadata.GetStatus(to).Kind);
        Assert.Equal("new", File.ReadAllText(to));
        Assert.Equal("target", File.ReadAllText(target));
    }

    [Fact]
    public void Rename_moves_directories_between_parents()
    {
        var from = _directory.Combine("a", "tree");
        Directory.CreateDirectory(from);
        File.WriteAllText(Path.Combine(from, "inner"), "x");
        Directory.CreateDirectory(_directory.Combine("b"));
        var to = _directory.Combine("b", "tree");

        AtomicRename.Rename(from, to, replace: false);

        Assert.Equal("x", File.ReadAllText(Path.Combine(to, "inner")));
        Assert.False(Directory.Exists(from));
    }

    [Fact]
    public void Rename_of_a_missing_source_names_it()
    {
        var error = Assert.Throws<IOException>(() => AtomicRename.Rename(_directory.Combine("nope"), _directory.Combine("to"), replace: true));

        Assert.Contains("nope", error.Message);
    }
}
