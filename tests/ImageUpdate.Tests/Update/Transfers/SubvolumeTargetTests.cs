using ImageUpdate.Platform.Btrfs;
using ImageUpdate.Tests.Platform.Btrfs;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>`[Target] Type=subvolume` on a real BTRFS: each version a subvolume, ReadOnly= the BTRFS flag, vacuum deletes it.</summary>
[Collection(BtrfsCollection.Name)]
public sealed class SubvolumeTargetTests(BtrfsLoopMount mount) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Versions_become_read_only_subvolumes_and_vacuum_deletes_them()
    {
        mount.Require();

        var target = mount.NewDirectory("machines");
        Directory.CreateDirectory(_dir["defs"]);
        foreach (var v in new[] { "1", "2" })
        {
            Directory.CreateDirectory(_dir[$"src/tree_{v}/etc"]);
            File.WriteAllText(_dir[$"src/tree_{v}/etc/version"], v);
        }

        File.WriteAllText(_dir["defs/tree.transfer"], $"""
            [Source]
            Type=subvolume
            Path={_dir["src"]}
            MatchPattern=tree_@v

            [Target]
            Type=subvolume
            Path={target}
            MatchPattern=tree_@v
            ReadOnly=yes
            """);
        string[] common = ["--definitions", _dir["defs"]];

        var update = await ImageUpdateProcess.RunAsync(null, [.. common, "update"]);

        Assert.True(update.ExitCode == 0, update.ToString());
        var installed = Path.Combine(target, "tree_2");
        Assert.True(KernelBtrfs.Instance.IsSubvolume(installed));
        Assert.True(KernelBtrfs.Instance.IsReadOnly(installed));
        Assert.Equal("2", File.ReadAllText(Path.Combine(installed, "etc/version")));

        Assert.Equal(0, (await ImageUpdateProcess.RunAsync(null, [.. common, "update", "1"])).ExitCode);
        var vacuum = await ImageUpdateProcess.RunAsync(null, [.. common, "-m", "1", "vacuum"]);
        Assert.True(vacuum.ExitCode == 0, vacuum.ToString());
        Assert.False(Directory.Exists(Path.Combine(target, "tree_1")));
        Assert.True(Directory.Exists(installed));
    }
}
