using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

public sealed class FileMetadataTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void GetStatus_describes_a_symlink_itself_not_its_target()
    {
        var target = _directory.Combine("target");
        File.WriteAllText(target, "data");
        var link = _directory.Combine("link");
        File.CreateSymbolicLink(link, "target");

        var status = FileMetadata.GetStatus(link);

        Assert.Equal(FileKind.SymbolicLink, status.Kind);
        Assert.Equal(FileKind.Regular, FileMetadata.GetStatus(target).Kind);
        Assert.Equal(4, FileMetadata.GetStatus(target).Size);
    }

    [Fact]
    public void TryGetStatus_returns_null_for_a_missing_entry()
    {
        Assert.Null(FileMetadata.TryGetStatus(_directory.Combine("missing", "deeper")));
        Assert.Throws<FileNotFoundException>(() => FileMetadata.GetStatus(_directory.Combine("missing")));
    }

    [Fact]
    public void SetMode_sets_the_special_bits_too()
    {
        var file = _directory.Combine("file");
        File.WriteAllText(file, "x");
        var mode = UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit | UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.OtherRead;

        FileMetadata.SetMode(file, mode);

        Assert.Equal(mode, FileMetadata.GetStatus(file).Mode);
        Assert.Equal("7504", Tool.Capture("stat", "-c", "%a", file).Trim());
    }

    [Fact]
    public void SetMode_refuses_a_symlink_and_leaves_its_target_alone()
    {
        var target = _directory.Combine("target");
        File.WriteAllText(target, "x");
        FileMetadata.SetMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var link = _directory.Combine("link");
        File.CreateSymbolicLink(link, target);

        Assert.Throws<IOException>(() => FileMetadata.SetMode(link, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, FileMetadata.GetStatus(target).Mode);
    }

    [Theory]
    [InlineData(1_700_000_000_123_456L)]
    [InlineData(0L)]
    [InlineData(-1_500_000L)]
    public void SetModificationTime_keeps_microseconds(long microseconds)
    {
        var file = _directory.Combine("file");
        File.WriteAllText(file, "x");

        FileMetadata.SetModificationTime(file, microseconds);

        Assert.Equal(microseconds, FileMetadata.GetStatus(file).ModificationTimeMicroseconds);
    }

    [Fact]
    public void SetModificationTime_of_a_symlink_changes_the_link_not_its_target()
    {
        var target = _directory.Combine("target");
        File.WriteAllText(target, "x");
        FileMetadata.SetModificationTime(target, 1_000_000_000_000_000L);
        var link = _directory.Combine("link");
        File.CreateSymbolicLink(link, "target");

        FileMetadata.SetModificationTime(link, 1_234_567_890_000_000L);

        Assert.Equal(1_234_567_890_000_000L, FileMetadata.GetStatus(link).ModificationTimeMicroseconds);
        Assert.Equal(1_000_000_000_000_000L, FileMetadata.GetStatus(target).ModificationTimeMicroseconds);
    }

    [Fact]
    public void SetOwner_changes_a_symlink_not_its_target()
    {
        TestEnvironment.RequireRoot("chown of a symlink");
        var target = _directory.Combine("target");
        File.WriteAllText(target, "x");
        var link = _directory.Combine("link");
        File.CreateSymbolicLink(link, "target");

        FileMetadata.SetOwner(link, 4242, 4343);

        Assert.Equal((4242u, 4343u), (FileMetadata.GetStatus(link).Uid, FileMetadata.GetStatus(link).Gid));
        Assert.Equal(0u, FileMetadata.GetStatus(target).Uid);
    }
}
