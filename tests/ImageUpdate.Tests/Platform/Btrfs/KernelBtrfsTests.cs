using ImageUpdate.Platform.Btrfs;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.Btrfs;

/// <summary>
/// The ioctl implementation on a real loop-mounted BTRFS, with btrfs-progs as the oracle
/// (`btrfs subvolume show`, `btrfs property get -ts PATH ro`).
/// </summary>
[Collection(BtrfsCollection.Name)]
public sealed class KernelBtrfsTests(BtrfsLoopMount mount)
{
    private readonly KernelBtrfs _btrfs = KernelBtrfs.Instance;

    [Fact]
    public async Task Create_makes_an_empty_0700_subvolume_that_btrfs_progs_recognises()
    {
        mount.Require();

        var path = mount.NewPath("created");
        _btrfs.CreateSubvolume(path);

        Assert.True(_btrfs.IsSubvolume(path));
        Assert.Equal(KernelBtrfs.SubvolumeMode, File.GetUnixFileMode(path));
        Assert.Empty(Directory.EnumerateFileSystemEntries(path));
        await BtrfsLoopMount.Run("btrfs", "subvolume", "show", path);
        Assert.Equal("ro=false", await RoProperty(path));
        Assert.False(_btrfs.IsReadOnly(path));
    }

    [Fact]
    public void Create_accepts_a_trailing_slash()
    {
        mount.Require();

        var path = mount.NewPath("slash");
        _btrfs.CreateSubvolume(path + "/");

        Assert.True(_btrfs.IsSubvolume(path));
    }

    [Fact]
    public async Task A_read_only_snapshot_has_the_source_files_and_refuses_writes()
    {
        mount.Require();

        var source = mount.NewPath("source");
        _btrfs.CreateSubvolume(source);
        File.WriteAllText(Path.Combine(source, "SHA256SUMS"), "contents");
        var snapshot = mount.NewPath("snapshot");

        _btrfs.SnapshotReadOnly(source, snapshot);
        File.WriteAllText(Path.Combine(source, "later"), "after the snapshot");

        Assert.True(_btrfs.IsSubvolume(snapshot));
        Assert.True(_btrfs.IsReadOnly(snapshot));
        Assert.False(_btrfs.IsReadOnly(source));
        Assert.Equal("ro=true", await RoProperty(snapshot));
        Assert.Equal("contents", File.ReadAllText(Path.Combine(snapshot, "SHA256SUMS")));
        Assert.False(File.Exists(Path.Combine(snapshot, "later")));
        Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(snapshot, "new"), "x"));
        Assert.ThrowsAny<IOException>(() => File.Delete(Path.Combine(snapshot, "SHA256SUMS")));
    }

    [Fact]
    public async Task Delete_removes_a_read_only_snapshot_with_its_files()
    {
        mount.Require();

        var source = mount.NewPath("to-snapshot");
        _btrfs.CreateSubvolume(source);
        File.WriteAllBytes(Path.Combine(source, "rootfs_2.raw"), new byte[100_000]);
        var snapshot = mount.NewPath("doomed");
        _btrfs.SnapshotReadOnly(source, snapshot);

        _btrfs.DeleteSubvolume(snapshot);

        Assert.False(Directory.Exists(snapshot));
        Assert.False(_btrfs.IsSubvolume(snapshot));
        var list = (await BtrfsLoopMount.Run("btrfs", "subvolume", "list", mount.MountPoint)).StandardOutput;
        Assert.DoesNotContain(Path.GetFileName(snapshot), list);
        Assert.Contains(Path.GetFileName(source), list);
    }

    [Fact]
    public async Task SetReadOnly_sets_and_clears_the_flag_btrfs_progs_reads()
    {
        mount.Require();

        var path = mount.NewPath("flagged");
        _btrfs.CreateSubvolume(path);

        _btrfs.SetReadOnly(path, true);
        Assert.True(_btrfs.IsReadOnly(path));
        Assert.Equal("ro=true", await RoProperty(path));

        _btrfs.SetReadOnly(path, false);
        Assert.False(_btrfs.IsReadOnly(path));
        Assert.Equal("ro=false", await RoProperty(path));
        File.WriteAllText(Path.Combine(path, "writable"), "again");
    }

    [Fact]
    public async Task IsReadOnly_agrees_with_btrfs_progs_on_a_snapshot_made_by_btrfs_progs()
    {
        mount.Require();

        var source = mount.NewPath("progs-source");
        await BtrfsLoopMount.Run("btrfs", "subvolume", "create", source);
        var snapshot = mount.NewPath("progs-snapshot");
        await BtrfsLoopMount.Run("btrfs", "subvolume", "snapshot", "-r", source, snapshot);

        Assert.True(_btrfs.IsSubvolume(source));
        Assert.False(_btrfs.IsReadOnly(source));
        Assert.True(_btrfs.IsReadOnly(snapshot));
    }

    [Fact]
    public void IsSubvolume_is_false_for_anything_but_a_subvolume_root()
    {
        mount.Require();

        var subvolume = mount.NewPath("real");
        _btrfs.CreateSubvolume(subvolume);
        var inside = Directory.CreateDirectory(Path.Combine(subvolume, "plain")).FullName;
        var file = Path.Combine(subvolume, "file");
        File.WriteAllText(file, "x");
        var link = mount.NewPath("link");
        File.CreateSymbolicLink(link, subvolume);
        using var elsewhere = new TempDirectory();

        Assert.True(_btrfs.IsSubvolume(subvolume));
        Assert.True(_btrfs.IsSubvolume(mount.MountPoint)); // the top-level subvolume (id 5) has inode 256 too
        Assert.False(_btrfs.IsSubvolume(inside));
        Assert.False(_btrfs.IsSubvolume(file));
        Assert.False(_btrfs.IsSubvolume(link));
        Assert.False(_btrfs.IsSubvolume(mount.NewPath("missing")));
        Assert.False(_btrfs.IsSubvolume(elsewhere.Path));
    }

    [Fact]
    public void IsOnBtrfs_describes_the_entry_itself_and_throws_for_a_missing_one()
    {
        mount.Require();

        using var elsewhere = new TempDirectory();
        var plain = mount.NewDirectory("plain");
        var linkOut = mount.NewPath("link-out");
        File.CreateSymbolicLink(linkOut, elsewhere.Path);
        var linkIn = Path.Combine(elsewhere.Path, "link-in");
        File.CreateSymbolicLink(linkIn, plain);

        Assert.True(_btrfs.IsOnBtrfs(plain));
        Assert.True(_btrfs.IsOnBtrfs(linkOut));
        Assert.False(_btrfs.IsOnBtrfs(linkIn));
        Assert.False(_btrfs.IsOnBtrfs(elsewhere.Path));
        var missing = mount.NewPath("missing");
        var e = Assert.Throws<BtrfsException>(() => _btrfs.IsOnBtrfs(missing));
        Assert.Equal(missing, e.Path);
        Assert.Contains("No such file or directory", e.Message);
    }

    [Fact]
    public void Create_over_an_existing_entry_fails_naming_it()
    {
        mount.Require();

        var existing = mount.NewDirectory("existing");

        var e = Assert.Throws<BtrfsException>(() => _btrfs.CreateSubvolume(existing));
        Assert.Equal($"Cannot create the BTRFS subvolume '{existing}': File exists.", e.Message);
    }

    [Fact]
    public void Create_outside_btrfs_says_the_parent_is_not_on_btrfs()
    {
        mount.Require();

        using var elsewhere = new TempDirectory();
        var path = elsewhere["staging"];

        var e = Assert.Throws<BtrfsException>(() => _btrfs.CreateSubvolume(path));
        Assert.Contains($"'{elsewhere.Path}' is not on a BTRFS file system", e.Message);
        Assert.False(Directory.Exists(path));
    }

    [Fact]
    public void Create_escapes_the_path_in_its_message()
    {
        mount.Require();

        var path = mount.NewPath("bad\u001b[2Jname");
        Directory.CreateDirectory(path);

        var e = Assert.Throws<BtrfsException>(() => _btrfs.CreateSubvolume(path));
        Assert.Contains("bad\\x1b[2Jname", e.Message);
        Assert.DoesNotContain(e.Message, c => c < 0x20);
    }

    [Fact]
    public void Snapshot_of_a_plain_directory_is_refused()
    {
        mount.Require();

        var plain = mount.NewDirectory("plain-source");
        var destination = mount.NewPath("never");

        var e = Assert.Throws<BtrfsException>(() => _btrfs.SnapshotReadOnly(plain, destination));
        Assert.Equal($"'{plain}' is not a BTRFS subvolume.", e.Message);
        Assert.False(Directory.Exists(destination));
    }

    [Fact]
    public void Snapshot_of_a_symlink_to_a_subvolume_is_refused()
    {
        mount.Require();

        var subvolume = mount.NewPath("target");
        _btrfs.CreateSubvolume(subvolume);
        var link = mount.NewPath("symlink-source");
        File.CreateSymbolicLink(link, subvolume);

        var e = Assert.Throws<BtrfsException>(() => _btrfs.SnapshotReadOnly(link, mount.NewPath("never")));
        Assert.Equal($"'{link}' is a symbolic link, not a BTRFS subvolume.", e.Message);
    }

    [Fact]
    public void Snapshot_onto_another_file_system_says_it_is_not_btrfs()
    {
        mount.Require();

        var source = mount.NewPath("cross-source");
        _btrfs.CreateSubvolume(source);
        using var elsewhere = new TempDirectory();

        var e = Assert.Throws<BtrfsException>(() => _btrfs.SnapshotReadOnly(source, elsewhere["snapshot"]));
        Assert.Equal($"Cannot take a read-only snapshot at '{elsewhere["snapshot"]}': '{elsewhere.Path}' is not on a BTRFS file system.", e.Message);
    }

    [Fact]
    public void Delete_of_a_plain_directory_is_refused_and_leaves_it()
    {
        mount.Require();

        var plain = mount.NewDirectory("plain-delete");
        File.WriteAllText(Path.Combine(plain, "kept"), "x");

        var e = Assert.Throws<BtrfsException>(() => _btrfs.DeleteSubvolume(plain));
        Assert.Equal($"'{plain}' is not a BTRFS subvolume.", e.Message);
        Assert.True(File.Exists(Path.Combine(plain, "kept")));
    }

    [Fact]
    public void Delete_of_a_symlink_to_a_subvolume_is_refused_and_leaves_the_subvolume()
    {
        mount.Require();

        var subvolume = mount.NewPath("kept-subvolume");
        _btrfs.CreateSubvolume(subvolume);
        var link = mount.NewPath("symlink-delete");
        File.CreateSymbolicLink(link, subvolume);

        var e = Assert.Throws<BtrfsException>(() => _btrfs.DeleteSubvolume(link));
        Assert.Contains("is a symbolic link", e.Message);
        Assert.True(_btrfs.IsSubvolume(subvolume));
    }

    [Fact]
    public void Delete_of_a_missing_subvolume_names_it()
    {
        mount.Require();

        var missing = mount.NewPath("gone");

        var e = Assert.Throws<BtrfsException>(() => _btrfs.DeleteSubvolume(missing));
        Assert.Equal($"Cannot delete the subvolume '{missing}': No such file or directory.", e.Message);
    }

    [Fact]
    public void Delete_of_a_subvolume_holding_another_says_so()
    {
        mount.Require();

        var outer = mount.NewPath("outer");
        _btrfs.CreateSubvolume(outer);
        _btrfs.CreateSubvolume(Path.Combine(outer, "inner"));

        var e = Assert.Throws<BtrfsException>(() => _btrfs.DeleteSubvolume(outer));
        Assert.Contains("it contains other subvolumes", e.Message);
    }

    [Fact]
    public void The_flags_of_a_plain_directory_are_refused()
    {
        mount.Require();

        var plain = mount.NewDirectory("plain-flags");

        Assert.Equal($"'{plain}' is not a BTRFS subvolume.", Assert.Throws<BtrfsException>(() => _btrfs.IsReadOnly(plain)).Message);
        Assert.Equal($"'{plain}' is not a BTRFS subvolume.", Assert.Throws<BtrfsException>(() => _btrfs.SetReadOnly(plain, true)).Message);
    }

    private static async Task<string> RoProperty(string path) =>
        (await BtrfsLoopMount.Run("btrfs", "property", "get", "-ts", path, "ro")).StandardOutput.Trim();
}
