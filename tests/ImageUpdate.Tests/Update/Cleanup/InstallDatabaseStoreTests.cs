using ImageUpdate.Model.InstallDatabase;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Cleanup;

namespace ImageUpdate.Tests.Update.Cleanup;

public sealed class InstallDatabaseStoreTests
{
    [Fact]
    public void A_record_is_a_link_named_by_its_hash_made_atomically_and_synced()
    {
        using var root = new TempDirectory();
        var store = new InstallDatabaseStore(root.Path, component: null);
        var record = new InstallRecord("/target", "alpha-@v.bin");

        using var syncs = SyncRecorder.Start();
        store.Add(record);

        var link = root["var/lib/systemd/sysupdate/installdb/" + record.Key];
        Assert.Equal("/target/./alpha-@v.bin", new FileInfo(link).LinkTarget);
        Assert.Single(Directory.EnumerateFileSystemEntries(store.Directory)); // No temporary left.
        Assert.Contains(syncs.Calls, c => c.Call == "fsync" && c.Path == store.Directory);
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(store.Directory));
        Assert.Equal([(record.Key, record.Value)], store.ReadEntries());
    }

    [Fact]
    public void Recording_again_changes_nothing_and_a_wrong_link_is_replaced()
    {
        using var root = new TempDirectory();
        var store = new InstallDatabaseStore(root.Path, "comp-a");
        var record = new InstallRecord("/target", "alpha-@v.bin");
        store.Add(record);
        var link = Path.Join(store.Directory, record.Key);
        var before = File.GetLastWriteTimeUtc(store.Directory);

        using (var syncs = SyncRecorder.Start())
        {
            store.Add(record);
            Assert.Empty(syncs.Calls);
        }

        File.Delete(link);
        File.CreateSymbolicLink(link, "/somewhere/./else-@v");
        store.Add(record);

        Assert.EndsWith("/var/lib/systemd/sysupdate/installdb.comp-a", store.Directory, StringComparison.Ordinal);
        Assert.Equal(record.Value, new FileInfo(link).LinkTarget);
        Assert.True(File.GetLastWriteTimeUtc(store.Directory) >= before);
    }

    [Fact]
    public void Only_links_are_entries_and_components_are_listed_by_their_directories()
    {
        using var root = new TempDirectory();
        new InstallDatabaseStore(root.Path, null).Add(new InstallRecord("/t", "a-@v"));
        new InstallDatabaseStore(root.Path, "comp-b").Add(new InstallRecord("/t", "b-@v"));
        new InstallDatabaseStore(root.Path, "comp-a").Add(new InstallRecord("/t", "c-@v"));
        Directory.CreateDirectory(root["var/lib/systemd/sysupdate/installdb."]);
        Directory.CreateDirectory(root["var/lib/systemd/sysupdate/other"]);
        var store = new InstallDatabaseStore(root.Path, null);
        File.WriteAllText(Path.Join(store.Directory, "plain"), "");

        Assert.Single(store.ReadEntries()!);
        Assert.Equal(["comp-a", "comp-b"], InstallDatabaseStore.ListComponents(root.Path));
        Assert.Null(new InstallDatabaseStore(root.Path, "never").ReadEntries());
    }
}
