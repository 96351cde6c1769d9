using ImageUpdate.Platform.Archives;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Platform.FileSystem;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.Archives;

public sealed class TreeCopyTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task CopyAsync_preserves_every_entry_kind_mode_time_owner_and_hard_link()
    {
        var source = _directory.Combine("source");
        SampleTree.Create(source);
        var destination = _directory.Combine("destination");

        await TreeCopy.CopyAsync(source, destination, CancellationToken.None);

        Assert.Equal(TreeSnapshot.Take(source), TreeSnapshot.Take(destination));
    }

    [Fact]
    public async Task CopyAsync_matches_cp_archive()
    {
        var source = _directory.Combine("source");
        SampleTree.Create(source);
        var byCp = _directory.Combine("by-cp");
        Tool.Run("cp", "-a", source, byCp);
        var byUs = _directory.Combine("by-us");

        await TreeCopy.CopyAsync(source, byUs, CancellationToken.None);

        Assert.Equal(TreeSnapshot.Take(byCp), TreeSnapshot.Take(byUs));
    }

    [Fact]
    public async Task CopyAsync_copies_a_symlink_to_a_directory_as_a_symlink()
    {
        var outside = _directory.Combine("outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret"), "secret");
        var source = _directory.Combine("source");
        Directory.CreateDirectory(source);
        File.CreateSymbolicLink(Path.Combine(source, "link"), outside);
        var destination = _directory.Combine("destination");

        await TreeCopy.CopyAsync(source, destination, CancellationToken.None);

        Assert.Equal(FileKind.SymbolicLink, FileMetadata.GetStatus(Path.Combine(destination, "link")).Kind);
        Assert.Equal(outside, new FileInfo(Path.Combine(destination, "link")).LinkTarget);
    }

    [Fact]
    public async Task CopyAsync_replaces_a_symlink_in_the_destination_instead_of_writing_through_it()
    {
        var victim = _directory.Combine("victim");
        File.WriteAllText(victim, "precious");
        var source = _directory.Combine("source");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "name"), "new");
        var destination = _directory.Combine("destination");
        Directory.CreateDirectory(destination);
        File.CreateSymbolicLink(Path.Combine(destination, "name"), victim);

        await TreeCopy.CopyAsync(source, destination, CancellationToken.None);

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal("new", File.ReadAllText(Path.Combine(destination, "name")));
        Assert.Equal(FileKind.Regular, FileMetadata.GetStatus(Path.Combine(destination, "name")).Kind);
    }

    [Fact]
    public async Task CopyAsync_refuses_device_nodes()
    {
        TestEnvironment.RequireRoot("mknod of a device node");
        var source = _directory.Combine("source");
        Directory.CreateDirectory(source);
        Tool.Run("mknod", Path.Combine(source, "null"), "c", "1", "3");

        var error = await Assert.ThrowsAsync<ArchiveException>(() => TreeCopy.CopyAsync(source, _directory.Combine("destination"), CancellationToken.None));

        Assert.Contains("Refusing entry 'null'", error.Message);
    }

    [Fact]
    public async Task CopyAsync_refuses_a_source_that_is_not_a_directory()
    {
        var file = _directory.Combine("file");
        File.WriteAllText(file, "x");

        var error = await Assert.ThrowsAsync<ArchiveException>(() => TreeCopy.CopyAsync(file, _directory.Combine("destination"), CancellationToken.None));

        Assert.Contains("is not a directory", error.Message);
    }
}
