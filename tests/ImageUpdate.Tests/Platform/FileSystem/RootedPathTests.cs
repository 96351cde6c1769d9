using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

public sealed class RootedPathTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Root => _dir.Path;

    [Fact]
    public void An_absolute_link_inside_the_root_starts_again_at_the_root()
    {
        Directory.CreateDirectory(_dir["real/data"]);
        File.CreateSymbolicLink(_dir["data"], "/real/data");

        Assert.Equal(_dir["real/data/target"], RootedPath.Resolve(Root, "/data/target"));
    }

    [Fact]
    public void Dotdot_and_relative_links_cannot_climb_out_of_the_root()
    {
        Directory.CreateDirectory(_dir["a"]);
        File.CreateSymbolicLink(_dir["a/up"], "../../../../../../etc");

        Assert.Equal(_dir["etc/passwd"], RootedPath.Resolve(Root, "/a/up/passwd"));
        Assert.Equal(_dir["x"], RootedPath.Resolve(Root, "/../../x"));
    }

    [Fact]
    public void A_missing_tail_is_kept_as_written()
    {
        Assert.Equal(_dir["not/there/yet"], RootedPath.Resolve(Root, "/not/./there//yet"));
    }

    [Fact]
    public void Link_loops_are_refused()
    {
        File.CreateSymbolicLink(_dir["loop"], "/loop");

        Assert.Throws<UpdateException>(() => RootedPath.Resolve(Root, "/loop/x"));
    }

    [Fact]
    public void Boot_partition_paths_refuse_links()
    {
        Directory.CreateDirectory(_dir["EFI/Real"]);
        File.CreateSymbolicLink(_dir["EFI/Linux"], "Real");

        var error = Assert.Throws<UpdateException>(() => RootedPath.Resolve(Root, "/EFI/Linux", refuseLinks: true));
        Assert.Contains("symbolic link", error.Message);
    }

    [Fact]
    public void Without_a_root_paths_are_only_normalized()
    {
        Assert.Equal("/tmp", RootedPath.Resolve("/", "/tmp/./"));
        Assert.Equal("/", RootedPath.Resolve("/", "/"));
    }
}
