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
    public async Task A_write_that_fails_leaves_no_in_flight_copy_behind(string kind)
    {
        // An ENOSPC or a read error half-way: the copy is of no use, and left behind it would keep a
        // small ESP full until the next run.
        var (target, tree) = NewTarget(kind, "demo_@v.efi.extra.d/extra.efi");

        var metadata = new InstanceMetadata { Version = "4" };
        var prepared = (PreparedFileTarget)target.Prepare(metadata);
        var failing = SourcePayload.FromStream(PayloadKind.File, "test", _ => Task.FromResult<Stream>(new FailingStream()));

        var e = await Assert.ThrowsAsync<IOException>(() => target.AcquireAsync(prepared, failing, metadata, null, CancellationToken.None));

        Assert.Equal("No space left on device", e.Message);
        Assert.Null(await tree.ReadTextAsync(prepared.InFlightPath, CancellationToken.None));
        Assert.Empty((await target.LoadAsync(CancellationToken.None)).Instances);
        if (tree.WritesInPlace)
        {
            // The parent the write made is pruned too; on FAT nothing was changed at all.
            Assert.False(Exists(kind, tree, "demo_4.efi.extra.d"), "the emptied parent was left");
            Assert.Empty(Directory.EnumerateFileSystemEntries(tree.Root));
        }
    }

    [Fact]
    public async Task A_payload_of_known_size_that_does_not_fit_is_refused_before_the_first_byte()
    {
        using var small = new Support.SmallFileSystem(_dir["small"], 256);
        var definition = Definition(small.Path, "uki_@v.efi");
        var target = new FileTreeTarget(definition, new HostDirectoryTree(definition, definition.Path, sync: true, NullLogger.Instance, KernelBtrfs.Instance), NullLogger.Instance);
        var metadata = new InstanceMetadata { Version = "6" };
        var prepared = (PreparedFileTarget)target.Prepare(metadata);
        var large = SourcePayload.FromStream(PayloadKind.File, "/srv/uki_6.efi", _ => Task.FromResult<Stream>(new MemoryStream(new byte[1 << 20])));

        var e = await Assert.ThrowsAsync<UpdateException>(() => target.AcquireAsync(prepared, large, metadata, null, CancellationToken.None));

        Assert.Equal($"Not enough free space in '{small.Path}' for '/srv/uki_6.efi': 1048576 bytes needed, 262144 bytes available, refusing.", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(small.Path));
    }

    [Fact]
    public async Task A_compressed_UKI_whose_size_the_pattern_gives_is_refused_before_the_first_byte()
    {
        // @s is the uncompressed size (as for a partition): without it a compressed payload's size
        // is unknown until it is written, with it the full ESP is refused up front.
        using var small = new Support.SmallFileSystem(_dir["small"], 256);
        var definition = Definition(small.Path, "uki_@v_@s.efi");
        var target = new FileTreeTarget(definition, new HostDirectoryTree(definition, definition.Path, sync: true, NullLogger.Instance, KernelBtrfs.Instance), NullLogger.Instance);
        var metadata = new InstanceMetadata { Version = "6", Size = 1 << 20 };
        var prepared = (PreparedFileTarget)target.Prepare(metadata);
        var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(new byte[1 << 20]);
        }

        var large = SourcePayload.FromStream(PayloadKind.File, "/srv/uki_6_1048576.efi.gz", _ => Task.FromResult<Stream>(new MemoryStream(compressed.ToArray())));

        var e = await Assert.ThrowsAsync<UpdateException>(() => target.AcquireAsync(prepared, large, metadata, null, CancellationToken.None));

        Assert.Equal($"Not enough free space in '{small.Path}' for '/srv/uki_6_1048576.efi.gz': 1048576 bytes needed, 262144 bytes available, refusing.", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(small.Path));
    }

    [Fact]
    public async Task An_ESP_in_an_image_without_room_for_the_UKI_is_refused_before_the_image_changes()
    {
        // The FAT inside an image (--image): the payload is staged on the host first, its size then
        // known exactly; the image's free bytes come from mtools (mdir's count of free clusters).
        GptTools.Require("mkfs.vfat", "mdir", "mcopy", "mren", "mdel", "mmd", "mrd", "mdeltree");
        var image = _dir["small-esp.img"];
        GptTools.Run("mkfs.vfat", ["-C", image, "1024"]);
        GptTools.Run("mmd", ["-i", image, "::/EFI", "::/EFI/Linux"]);
        var before = File.ReadAllBytes(image);
        var free = long.Parse(System.Text.RegularExpressions.Regex.Match(GptTools.Run("mdir", ["-i", image, "::/"]), @"([\d ]+) bytes free").Groups[1].Value.Replace(" ", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        var definition = Definition("/EFI/Linux", "uki_@v.efi");
        var tree = new FatImageTree(definition, new FatVolume(image, 0, "the ESP of small-esp.img"), definition.Path);
        var target = new FileTreeTarget(definition, tree, NullLogger.Instance);
        var metadata = new InstanceMetadata { Version = "6" };
        var prepared = (PreparedFileTarget)target.Prepare(metadata);
        var large = SourcePayload.FromStream(PayloadKind.File, "/srv/uki_6.efi", _ => Task.FromResult<Stream>(new MemoryStream(new byte[2 << 20])));

        var e = await Assert.ThrowsAsync<UpdateException>(() => target.AcquireAsync(prepared, large, metadata, null, CancellationToken.None));

        Assert.Equal($"Not enough free space on the ESP of small-esp.img for '/srv/uki_6.efi': 2097152 bytes needed, {free} bytes available, refusing.", e.Message);
        Assert.Equal(before, File.ReadAllBytes(image));
        Assert.Empty(await tree.FindTemporariesAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task A_payload_without_a_mode_of_its_own_is_created_0664_less_the_umask()
    {
        // A url-file payload: systemd-pull creates its output so (0644 under the usual umask 022).
        var (target, tree) = NewTarget("host", "demo_@v.efi");
        var metadata = new InstanceMetadata { Version = "5" };
        var prepared = (PreparedFileTarget)target.Prepare(metadata);

        var pending = await target.AcquireAsync(prepared, Payload("five"), metadata, null, CancellationToken.None);

        var umask = (UnixFileMode)Convert.ToInt32(File.ReadLines("/proc/self/status").First(l => l.StartsWith("Umask:", StringComparison.Ordinal))[6..].Trim(), 8);
        Assert.Equal(PayloadWriter.DefaultFileMode & ~umask, File.GetUnixFileMode(Assert.IsType<FileLocation>(pending.Location).Path));
        Assert.Equal((UnixFileMode)0x1B4, PayloadWriter.DefaultFileMode); // 0664
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
    /// <summary>Some bytes, then the error a full file system gives.</summary>
    private sealed class FailingStream : MemoryStream
    {
        public FailingStream()
            : base(new byte[100_000])
        {
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return Position < Length ? read : throw new IOException("No space left on device");
        }
    }

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

    /// <summary>A host temporary as FatImageTree hands it out: deleted when closed.</summary>
    private Stream HostCopy(string name)
    {
        var path = _dir[name];
        File.WriteAllText(path, name);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.DeleteOnClose);
    }

    [Fact]
    public async Task HostCopies_skip_a_seed_whose_copy_out_fails_with_an_mtools_error()
    {
        Task<Stream> Open(string path, CancellationToken cancellationToken) => path switch
        {
            "io" => throw new IOException("read error"),
            "mtools" => throw new UpdateException("mcopy failed: No space left on device"),
            _ => Task.FromResult(HostCopy(path)),
        };

        var copies = await FileTreeTarget.HostCopiesAsync(Open, ["a", "io", "mtools", "b"], NullLogger.Instance, TestContext.Current.CancellationToken);

        Assert.Equal([_dir["a"], _dir["b"]], copies.Select(c => c.Name));
        foreach (var copy in copies)
        {
            await copy.DisposeAsync();
        }

        Assert.False(File.Exists(_dir["a"]));
    }

    [Fact]
    public async Task HostCopies_close_the_copies_already_made_when_cancelled_midway()
    {
        using var cancel = new CancellationTokenSource();
        Task<Stream> Open(string path, CancellationToken cancellationToken)
        {
            if (path == "c")
            {
                cancel.Cancel();
                cancellationToken.ThrowIfCancellationRequested();
            }

            return Task.FromResult(HostCopy(path));
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => FileTreeTarget.HostCopiesAsync(Open, ["a", "b", "c", "d"], NullLogger.Instance, cancel.Token));

        Assert.False(File.Exists(_dir["a"]));
        Assert.False(File.Exists(_dir["b"]));
    }

    [Fact]
    public async Task HostCopies_close_the_copies_already_made_when_an_unexpected_error_escapes()
    {
        Task<Stream> Open(string path, CancellationToken cancellationToken) =>
            path == "c" ? throw new InvalidOperationException("bug") : Task.FromResult(HostCopy(path));

        await Assert.ThrowsAsync<InvalidOperationException>(() => FileTreeTarget.HostCopiesAsync(Open, ["a", "b", "c"], NullLogger.Instance, TestContext.Current.CancellationToken));

        Assert.False(File.Exists(_dir["a"]));
        Assert.False(File.Exists(_dir["b"]));
    }
}
