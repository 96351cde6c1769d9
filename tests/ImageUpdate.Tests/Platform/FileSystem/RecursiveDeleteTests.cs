using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

public sealed class RecursiveDeleteTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Delete_removes_a_tree_but_not_what_its_symlinks_point_to()
    {
        var outside = _directory.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "precious"), "keep");
        var tree = _directory.Combine("tree");
        Directory.CreateDirectory(Path.Combine(tree, "a", "b"));
        File.WriteAllText(Path.Combine(tree, "a", "b", "file"), "x");
        File.CreateSymbolicLink(Path.Combine(tree, "a", "to-dir"), outside);
        File.CreateSymbolicLink(Path.Combine(tree, "to-file"), Path.Combine(outside, "precious"));
        File.CreateSymbolicLink(Path.Combine(tree, "dangling"), "/nonexistent");

        Assert.True(RecursiveDelete.Delete(tree));

        Assert.Null(FileMetadata.TryGetStatus(tree));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(outside, "precious")));
    }

    [Fact]
    public void Delete_of_a_symlink_to_a_directory_removes_only_the_link()
    {
        var outside = _directory.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "precious"), "keep");
        var link = _directory.Combine("link");
        File.CreateSymbolicLink(link, outside);

        Assert.True(RecursiveDelete.Delete(link));

        Assert.Null(FileMetadata.TryGetStatus(link));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(outside, "precious")));
    }

    [Fact]
    public void Delete_returns_false_when_nothing_is_there()
    {
        Assert.False(RecursiveDelete.Delete(_directory.Combine("missing")));
    }

    [Fact]
    public void Delete_makes_read_only_directories_writable_first()
    {
        var tree = _directory.Combine("tree");
        Directory.CreateDirectory(Path.Combine(tree, "ro"));
        File.WriteAllText(Path.Combine(tree, "ro", "file"), "x");
        FileMetadata.SetMode(Path.Combine(tree, "ro"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        FileMetadata.SetMode(tree, UnixFileMode.None);

        Assert.True(RecursiveDelete.Delete(tree));

        Assert.Null(FileMetadata.TryGetStatus(tree));
    }

    [Fact]
    public void Delete_clears_immutable_and_append_only_flags()
    {
        TestEnvironment.RequireRoot("chattr +i/+a");
        var tree = _directory.Combine("tree");
        Directory.CreateDirectory(Path.Combine(tree, "sealed"));
        File.WriteAllText(Path.Combine(tree, "sealed", "file"), "x");
        File.WriteAllText(Path.Combine(tree, "log"), "x");
        Tool.Run("chattr", "+i", Path.Combine(tree, "sealed", "file"));
        Tool.Run("chattr", "+i", Path.Combine(tree, "sealed"));
        Tool.Run("chattr", "+a", Path.Combine(tree, "log"));

        Assert.True(RecursiveDelete.Delete(tree));

        Assert.Null(FileMetadata.TryGetStatus(tree));
    }

    [Fact]
    public void PruneEmptyParents_removes_emptied_directories_up_to_the_stop()
    {
        var stop = _directory.Combine("root");
        var deep = Path.Combine(stop, "a", "b", "c");
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(stop, "a", "keep"), "x");
        var file = Path.Combine(deep, "file");

        var removed = RecursiveDelete.PruneEmptyParents(file, stop);

        Assert.Equal(2, removed);
        Assert.False(Directory.Exists(Path.Combine(stop, "a", "b")));
        Assert.True(Directory.Exists(Path.Combine(stop, "a")));
    }

    [Fact]
    public void PruneEmptyParents_never_removes_the_stop_directory()
    {
        var stop = _directory.Combine("root");
        Directory.CreateDirectory(Path.Combine(stop, "a"));

        var removed = RecursiveDelete.PruneEmptyParents(Path.Combine(stop, "a", "gone"), stop + "/");

        Assert.Equal(1, removed);
        Assert.True(Directory.Exists(stop));
    }

    [Fact]
    public void PruneEmptyParents_stops_at_a_symlink_instead_of_following_it()
    {
        var stop = _directory.Combine("root");
        var real = _directory.Combine("real");
        Directory.CreateDirectory(Path.Combine(real, "empty"));
        Directory.CreateDirectory(stop);
        File.CreateSymbolicLink(Path.Combine(stop, "link"), real);

        var removed = RecursiveDelete.PruneEmptyParents(Path.Combine(stop, "link", "x"), stop);

        Assert.Equal(0, removed);
        Assert.Equal(FileKind.SymbolicLink, FileMetadata.GetStatus(Path.Combine(stop, "link")).Kind);
        Assert.True(Directory.Exists(Path.Combine(real, "empty")));
    }

    [Theory]
    [InlineData("/etc/passwd", "/tmp")]
    [InlineData("/tmp", "/tmp")]
    [InlineData("/tmpfoo/x", "/tmp")]
    public void PruneEmptyParents_refuses_a_path_outside_the_stop_directory(string path, string stopAt)
    {
        var error = Assert.Throws<ArgumentException>(() => RecursiveDelete.PruneEmptyParents(path, stopAt));

        Assert.Contains("is not below", error.Message);
    }
}
