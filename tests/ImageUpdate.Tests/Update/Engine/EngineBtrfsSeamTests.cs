using ImageUpdate.Platform.Btrfs;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Engine;

/// <summary>
/// A subvolume target asks the <see cref="EngineServices.Btrfs"/> it was handed, never the kernel
/// directly: a fake that claims BTRFS everywhere sees the in-flight copy created as a subvolume, the
/// final one made read-only, and vacuum's deletion, all in a plain temporary directory.
/// </summary>
public sealed class EngineBtrfsSeamTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_subvolume_target_creates_flags_and_deletes_through_the_services_btrfs()
    {
        var root = _dir["root"];
        Directory.CreateDirectory(Path.Combine(root, "usr/lib/sysupdate.d"));
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        File.WriteAllText(Path.Combine(root, "etc/os-release"), "ID=demo\nIMAGE_VERSION=1\n");
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/tree.transfer"), """
            [Source]
            Type=directory
            Path=/srv/source
            MatchPattern=tree_@v

            [Target]
            Type=subvolume
            Path=/srv/machines
            MatchPattern=tree_@v
            ReadOnly=yes
            InstancesMax=2
            """);
        foreach (var v in new[] { "1", "2", "3" })
        {
            Directory.CreateDirectory(Path.Combine(root, $"srv/source/tree_{v}"));
            File.WriteAllText(Path.Combine(root, $"srv/source/tree_{v}/version"), v);
        }

        Directory.CreateDirectory(Path.Combine(root, "srv/machines"));
        var btrfs = new FakeBtrfs();

        await Engine(root, btrfs).UpdateAsync("2", UpdateActions.All, CancellationToken.None);
        await Engine(root, btrfs).UpdateAsync("3", UpdateActions.All, CancellationToken.None);

        var machines = Path.Combine(root, "srv/machines");
        Assert.Equal(
            [
                $"create {machines}/.#sysupdate.partial.tree_2",
                $"read-only {machines}/tree_2",
                $"create {machines}/.#sysupdate.partial.tree_3",
                $"read-only {machines}/tree_3",
            ],
            btrfs.Calls.Where(c => !c.StartsWith("delete", StringComparison.Ordinal)));
        Assert.Equal("3", File.ReadAllText(Path.Combine(machines, "tree_3/version")));
    }

    [Fact]
    public async Task Vacuum_deletes_a_subvolume_instance_through_the_services_btrfs()
    {
        var root = _dir["root"];
        Directory.CreateDirectory(Path.Combine(root, "usr/lib/sysupdate.d"));
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/tree.transfer"), """
            [Source]
            Type=directory
            Path=/srv/source
            MatchPattern=tree_@v

            [Target]
            Type=subvolume
            Path=/srv/machines
            MatchPattern=tree_@v
            InstancesMax=2
            """);
        foreach (var v in new[] { "1", "2", "3" })
        {
            Directory.CreateDirectory(Path.Combine(root, $"srv/machines/tree_{v}"));
        }

        var btrfs = new FakeBtrfs(subvolumes: [Path.Combine(root, "srv/machines/tree_1")]);

        var result = await new UpdateEngine(new EngineOptions { Root = root, Environment = LockIn(root) }, NullLogger.Instance, services: new EngineServices { Btrfs = btrfs })
            .VacuumAsync(CancellationToken.None);

        Assert.Equal(1, result.Removed);
        Assert.Equal([$"delete {root}/srv/machines/tree_1"], btrfs.Calls);
        Assert.False(Directory.Exists(Path.Combine(root, "srv/machines/tree_1")));
    }

    /// <summary>The host lock inside the test's directory, handed in as the CLI would from the environment.</summary>
    private static HostEnvironment LockIn(string root) =>
        new(new Dictionary<string, string> { [HostEnvironment.LockPathVariable] = Path.Combine(root, "image-update.lock") });

    private static UpdateEngine Engine(string root, IBtrfs btrfs) =>
        new(
            new EngineOptions { Root = root },
            NullLogger.Instance,
            null,
            transfer => new LocalSource(transfer.Source, Path.Join(root, transfer.Source.Path)),
            new EngineServices { Btrfs = btrfs });

    /// <summary>Claims BTRFS everywhere; subvolumes are plain directories (all of them, or the ones listed).</summary>
    private sealed class FakeBtrfs(IEnumerable<string>? subvolumes = null) : IBtrfs
    {
        private readonly HashSet<string> _subvolumes = [.. subvolumes ?? []];

        public List<string> Calls { get; } = [];

        public bool IsOnBtrfs(string path) => true;

        /// <summary>Every directory it is asked about (renames keep a subvolume one), unless a list was given.</summary>
        public bool IsSubvolume(string path) => Directory.Exists(path) && (_subvolumes.Count == 0 || _subvolumes.Contains(path));

        public void CreateSubvolume(string path)
        {
            Calls.Add("create " + path);
            Directory.CreateDirectory(path);
        }

        public void SnapshotReadOnly(string source, string destination) => throw new NotSupportedException();

        public bool IsReadOnly(string path) => false;

        public void SetReadOnly(string path, bool readOnly) => Calls.Add((readOnly ? "read-only " : "writable ") + path);

        public void DeleteSubvolume(string path)
        {
            Calls.Add("delete " + path);
            Directory.Delete(path, recursive: true);
        }
    }
}
