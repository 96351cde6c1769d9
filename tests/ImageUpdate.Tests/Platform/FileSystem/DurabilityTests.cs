using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.FileSystem;

public sealed class DurabilityTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void The_syncs_accept_files_and_directories_that_exist()
    {
        var file = _directory.Combine("file");
        File.WriteAllText(file, "x");
        using var syncs = SyncRecorder.Start();

        Durability.FsyncFile(file);
        Durability.FsyncDirectory(_directory.Path);
        Durability.FsyncParentDirectory(file);
        Durability.SyncFileSystem(_directory.Path);
        Durability.SyncFileSystem(file);
        Durability.SyncAll();

        // Each call reached the kernel, which accepted it, for the path it was given.
        Assert.Equal(
            [
                new SyncCall("fsync", file),
                new SyncCall("fsync", _directory.Path),
                new SyncCall("fsync", _directory.Path),
                new SyncCall("syncfs", _directory.Path),
                new SyncCall("syncfs", file),
                new SyncCall("sync", "/"),
            ],
            syncs.Calls);
    }

    [Fact]
    public void A_failed_fsync_is_not_recorded_as_made()
    {
        using var syncs = SyncRecorder.Start();

        Assert.Throws<IOException>(() => Durability.FsyncFile(_directory.Combine("missing")));

        Assert.Empty(syncs.Calls);
    }

    [Fact]
    public void A_rename_fsyncs_the_directories_of_both_names_after_renaming()
    {
        var from = Directory.CreateDirectory(_directory.Combine("from")).FullName;
        var to = Directory.CreateDirectory(_directory.Combine("to")).FullName;
        File.WriteAllText(Path.Combine(from, "a"), "x");
        using var syncs = SyncRecorder.Start();

        AtomicRename.Rename(Path.Combine(from, "a"), Path.Combine(to, "b"), replace: false);

        Assert.Equal([new SyncCall("fsync", Path.Combine(to, "b")), new SyncCall("fsync", to), new SyncCall("fsync", from)], syncs.Calls);
        Assert.True(File.Exists(Path.Combine(to, "b")));
    }

    [Fact]
    public void A_rename_within_one_directory_fsyncs_it_once()
    {
        File.WriteAllText(_directory.Combine("a"), "x");
        using var syncs = SyncRecorder.Start();

        AtomicRename.Rename(_directory.Combine("a"), _directory.Combine("b"), replace: true);

        Assert.Equal([new SyncCall("fsync", _directory.Combine("b")), new SyncCall("fsync", _directory.Path)], syncs.Calls);
    }

    // make powercut, seed 11, run 2 (tests/powercut/regressions.txt): on vfat a rename writes the new
    // directory entry without the file's first cluster and size (they follow with the inode), so
    // after rename + fsync of the directory a power cut left the UKI's final name on the ESP as an
    // empty file, its clusters lost. The renamed file is fsynced first, then its directory.
    [Fact]
    public void A_rename_fsyncs_the_renamed_file_before_its_directory()
    {
        File.WriteAllText(_directory.Combine(".sysupdate.pending.uki.efi"), "x");
        using var syncs = SyncRecorder.Start();

        AtomicRename.Rename(_directory.Combine(".sysupdate.pending.uki.efi"), _directory.Combine("uki+3-0.efi"), replace: true);

        Assert.Equal([new SyncCall("fsync", _directory.Combine("uki+3-0.efi")), new SyncCall("fsync", _directory.Path)], syncs.Calls);
    }

    [Fact]
    public void A_renamed_directory_is_fsynced_and_a_renamed_symlink_is_not_followed()
    {
        Directory.CreateDirectory(_directory.Combine("tree"));
        File.CreateSymbolicLink(_directory.Combine("link"), "/nonexistent");
        using var syncs = SyncRecorder.Start();

        AtomicRename.Rename(_directory.Combine("tree"), _directory.Combine("tree2"), replace: true);
        AtomicRename.Rename(_directory.Combine("link"), _directory.Combine("link2"), replace: true);

        Assert.Equal(
            [
                new SyncCall("fsync", _directory.Combine("tree2")),
                new SyncCall("fsync", _directory.Path),
                new SyncCall("fsync", _directory.Path),
            ],
            syncs.Calls);
    }

    [Fact]
    public void A_symlink_swap_fsyncs_its_directory()
    {
        using var syncs = SyncRecorder.Start();

        AtomicSymlink.Replace(_directory.Combine("current"), "v1");

        Assert.Contains(new SyncCall("fsync", _directory.Path), syncs.Calls);
    }

    [Fact]
    public async Task Syncs_on_other_flows_are_not_recorded()
    {
        var file = _directory.Combine("file");
        File.WriteAllText(file, "x");
        using var syncs = SyncRecorder.Start();

        // A task the test starts is seen; a thread without the test's context (as another test's
        // would be, running in parallel) is not.
        await Task.Run(() => Durability.FsyncFile(file)).ConfigureAwait(true);
        using (ExecutionContext.SuppressFlow())
        {
            var other = new Thread(() => Durability.FsyncFile(file));
            other.Start();
            other.Join();
        }

        Assert.Equal([new SyncCall("fsync", file)], syncs.Calls);
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
    /// <summary>
    /// A file removed on FAT is held open across the unlink: the directory is fsynced once while its
    /// clusters are still allocated and once after they are released (make powercut, seed 20261207,
    /// run 50: a name left over freed clusters).
    /// </summary>
    [Fact]
    public void A_held_removal_fsyncs_the_directory_before_and_after_the_file_is_closed()
    {
        using var dir = new TempDirectory();
        var path = dir["uki.efi"];
        File.WriteAllBytes(path, new byte[8192]);
        using (var syncs = SyncRecorder.Start())
        {
            Durability.RemoveFileHeld(path);
            Assert.Equal([new SyncCall("fsync", dir.Path), new SyncCall("fsync", dir.Path)], syncs.Calls);
        }

        Assert.False(File.Exists(path));
        Assert.Throws<IOException>(() => Durability.RemoveFileHeld(path));
    }
}
