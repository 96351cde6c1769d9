using System.Text;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Resources;
using ImageUpdate.Platform.Btrfs;
using ImageUpdate.Platform.Fat;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Update.Transfers;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>
/// The one file-target protocol (<see cref="FileTreeTarget"/>) driven over both trees with the same
/// rows: a host directory, and the FAT file system of an image made by mkfs.vfat (through mtools).
/// </summary>
public sealed class FileTreeTargetTests : IDisposable
{
    private readonly Support.TempDirectory _dir = new("filetree");

    public void Dispose() => _dir.Dispose();

    private static TargetDefinition Definition(string directory, params string[] patterns) =>
        new(ResourceType.RegularFile, directory, PathRelativeTo.Root, PatternList.Parse(patterns), null, null, null, null, null, null, null, null, null, 3, true, null);

    /// <summary>The target over a fresh tree (the FAT rows skip, or fail under CI, without mtools).</summary>
    private (FileTreeTarget Target, IFileTree Tree) NewTarget(string kind, params string[] patterns)
    {
        TargetDefinition definition;
        IFileTree tree;
        if (kind == "host")
        {
            definition = Definition(_dir["host/EFI/Linux"], patterns);
            tree = new HostDirectoryTree(definition, definition.Path, sync: true, NullLogger.Instance, KernelBtrfs.Instance);
        }
        else
        {
            GptTools.Require("mkfs.vfat", "mdir", "mcopy", "mren", "mdel", "mmd", "mrd", "mdeltree");

            var image = _dir["fat.img"];
            GptTools.Run("mkfs.vfat", ["-C", image, "16384"]);
            definition = Definition("/EFI/Linux", patterns);
            tree = new FatImageTree(definition, new FatVolume(image, 0, "the test volume"), definition.Path);
        }

        return (new FileTreeTarget(definition, tree, NullLogger.Instance), tree);
    }

    /// <summary>Whether NAME exists in the target directory, asked of the host or of mtools, not of the tree under test.</summary>
    private bool Exists(string kind, IFileTree tree, string name) => kind == "host"
        ? Path.Exists(tree.Join(name))
        : GptTools.Run("mdir", ["-b", "-i", _dir["fat.img"], "::" + tree.Root]).Split('\n').Any(line => line.TrimEnd('/', ' ').EndsWith("/" + name, StringComparison.Ordinal));

    private static SourcePayload Payload(string text) =>
        SourcePayload.FromStream(PayloadKind.File, "test", _ => Task.FromResult<Stream>(new MemoryStream(Encoding.UTF8.GetBytes(text))));

    private static string Name(Instance instance) => instance.Path[(instance.Path.LastIndexOf('/') + 1)..];

    [Theory]
    [InlineData("host")]
    [InlineData("fat")]
    public async Task A_copy_goes_in_flight_then_pending_then_final(string kind)
    {
        var (target, tree) = NewTarget(kind, "demo-image_@v.efi");

        var metadata = new InstanceMetadata { Version = "2" };
        var prepared = Assert.IsType<PreparedFileTarget>(target.Prepare(metadata));
        Assert.Equal(tree.Join("demo-image_2.efi"), prepared.FinalPath);
        Assert.Equal(tree.Join(".#sysupdate.partial.demo-image_2.efi"), prepared.InFlightPath);
        Assert.Equal(tree.Join(".sysupdate.partial.demo-image_2.efi"), prepared.PartialPath);
        Assert.Equal(tree.Join(".sysupdate.pending.demo-image_2.efi"), prepared.PendingPath);

        var pending = await target.AcquireAsync(prepared, Payload("two"), metadata, null, CancellationToken.None);
        Assert.Equal(new FileLocation(prepared.PendingPath), pending.Location);
        var found = Assert.Single((await target.LoadAsync(CancellationToken.None)).Instances);
        Assert.True(found.IsPending);
        Assert.Equal(pending, target.AdoptPending(prepared, found));
        Assert.Null(await tree.ReadTextAsync(prepared.InFlightPath, CancellationToken.None));

        Assert.Equal(prepared.FinalPath, await target.InstallAsync(pending, CancellationToken.None));
        var installed = Assert.Single((await target.LoadAsync(CancellationToken.None)).Instances);
        Assert.Equal(("demo-image_2.efi", false, "2"), (Name(installed), installed.IsPending, installed.Metadata.Version));
        Assert.Equal("two", await tree.ReadTextAsync(prepared.FinalPath, CancellationToken.None));
    }

    [Theory]
    [InlineData("host")]
    [InlineData("fat")]
    public async Task A_rejected_copy_is_kept_partial_only_where_it_was_written_in_place(string kind)
    {
        var (target, tree) = NewTarget(kind, "demo-image_@v.efi");

        var metadata = new InstanceMetadata { Version = "3" };
        var prepared = (PreparedFileTarget)target.Prepare(metadata);
        var rejected = SourcePayload.FromStream(PayloadKind.File, "test", _ => Task.FromResult<Stream>(new RejectingStream()));

        var e = await Assert.ThrowsAsync<VerificationException>(() => target.AcquireAsync(prepared, rejected, metadata, null, CancellationToken.None));

        Assert.Equal("hash mismatch", e.Message);
        var left = (await target.LoadAsync(CancellationToken.None)).Instances;
        if (tree.WritesInPlace)
        {
            Assert.True(Assert.Single(left).IsPartial);
            Assert.NotNull(await tree.ReadTextAsync(prepared.PartialPath, CancellationToken.None));
        }
        else
        {
            // Verified in a host temporary first: nothing reached the tree.
            Assert.Empty(left);
            Assert.Null(await tree.ReadTextAsync(prepared.PartialPath, CancellationToken.None));
        }

        Assert.Null(await tree.ReadTextAsync(prepared.InFlightPath, CancellationToken.None));
    }

    [Theory]
    [InlineData("host")]
    [InlineData("fat")]
    public async Task Temporaries_and_removed_instances_take_their_emptied_parents_along(string kind)
    {
        var (target, tree) = NewTarget(kind, "ukify-os_@v.efi", "ukify-os_@v.efi.extra.d/extra.addon.efi");

        var one = new InstanceMetadata { Version = "1" };
        var prepared = (PreparedFileTarget)target.Prepare(one);
        await target.InstallAsync(await target.AcquireAsync(prepared, Payload("one"), one, null, CancellationToken.None), CancellationToken.None);
        await tree.WriteAsync(Payload("x"), tree.Join("ukify-os_2.efi.extra.d/.#sysupdate.partial.extra.addon.efi"), one, null, CancellationToken.None);
        await tree.WriteAsync(Payload("y"), tree.Join(".sysupdate.partial.ukify-os_3.efi"), one, null, CancellationToken.None);
        Assert.Equal(2, (await tree.FindTemporariesAsync(1, CancellationToken.None)).Count);

        Assert.True(Exists(kind, tree, "ukify-os_2.efi.extra.d"));

        await target.RemoveTemporariesAsync(CancellationToken.None);

        Assert.Empty(await tree.FindTemporariesAsync(1, CancellationToken.None));
        Assert.False(Exists(kind, tree, "ukify-os_2.efi.extra.d"));
        var kept = Assert.Single((await target.LoadAsync(CancellationToken.None)).Instances);
        Assert.Equal("ukify-os_1.efi", Name(kept));
        await target.RemoveAsync(kept, CancellationToken.None);
        Assert.Empty((await target.LoadAsync(CancellationToken.None)).Instances);
        Assert.Null(await tree.ReadTextAsync(prepared.FinalPath, CancellationToken.None));

        // And the tree takes a new version after all that.
        var two = new InstanceMetadata { Version = "2" };
        var again = (PreparedFileTarget)target.Prepare(two);
        await target.InstallAsync(await target.AcquireAsync(again, Payload("two"), two, null, CancellationToken.None), CancellationToken.None);
        Assert.Equal("two", await tree.ReadTextAsync(again.FinalPath, CancellationToken.None));
    }

    [Theory]
    [InlineData("host")]
    [InlineData("fat")]
    public async Task Bad_versions_are_remembered_in_the_hidden_record(string kind)
    {
        var (target, tree) = NewTarget(kind, "demo-image_@v.efi");

        Assert.Empty(await target.RememberedBadAsync(CancellationToken.None));
        await tree.WriteAsync(Payload("1"), tree.Join("demo-image_1.efi"), new InstanceMetadata(), null, CancellationToken.None);
        await target.RememberBadAsync("3", CancellationToken.None);
        await target.RememberBadAsync("2", CancellationToken.None);
        await target.RememberBadAsync("3", CancellationToken.None);

        Assert.Equal(["2", "3"], await target.RememberedBadAsync(CancellationToken.None));
        Assert.Equal("2\n3\n", await tree.ReadTextAsync(tree.Join(BadVersionRecord.FileName), CancellationToken.None));
        Assert.Equal("demo-image_1.efi", Name(Assert.Single((await target.LoadAsync(CancellationToken.None)).Instances)));
    }

    /// <summary>Delivers some bytes, then fails verification on the read that would return 0.</summary>
    private sealed class RejectingStream : MemoryStream
    {
        public RejectingStream()
            : base(Encoding.UTF8.GetBytes("partial"))
        {
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new VerificationException("hash mismatch");
        }
    }
}
