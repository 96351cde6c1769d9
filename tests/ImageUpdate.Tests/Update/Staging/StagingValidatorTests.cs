using System.Net.Sockets;
using System.Text;
using ImageUpdate.Foundation.Native;
using ImageUpdate.Platform.Btrfs;
using ImageUpdate.Tests.Platform.Btrfs;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Staging;

namespace ImageUpdate.Tests.Update.Staging;

/// <summary>
/// The validator on real read-only snapshots of a loop-mounted BTRFS (entries are made in a writable
/// subvolume, then `snapshot -r` freezes them as the staging flow will), and on a writable directory
/// for what can change after validation.
/// </summary>
[Collection(BtrfsCollection.Name)]
public sealed class StagingValidatorTests(BtrfsLoopMount mount)
{
    private static readonly string[] NormalSet = ["SHA256SUMS", "SHA256SUMS.gpg", "rootfs_2.raw", "uki_2.efi"];

    private readonly KernelBtrfs _btrfs = KernelBtrfs.Instance;

    [Fact]
    public void A_normal_staged_update_is_accepted_with_its_names_and_sizes()
    {
        mount.Require();

        var snapshot = Stage(source =>
        {
            WriteNormalSet(source);
            File.WriteAllText(Path.Combine(source, ".#sysupdate.rootfs_3.raw.partial"), "half");
        });

        using var staging = StagingValidator.Validate(snapshot);

        Assert.Equal(
            [new StagedFile("SHA256SUMS", 9), new StagedFile("SHA256SUMS.gpg", 3), new StagedFile("rootfs_2.raw", 100_000), new StagedFile("uki_2.efi", 5)],
            staging.Files);
        Assert.Equal([".#sysupdate.rootfs_3.raw.partial"], staging.IgnoredEntries);
        Assert.Equal(100_017, staging.TotalBytes);
        Assert.True(staging.IsReadOnlySnapshot);
        Assert.True(staging.Contains("uki_2.efi"));
        Assert.False(staging.Contains(".#sysupdate.rootfs_3.raw.partial"));
        Assert.Equal("manifest\n", Encoding.ASCII.GetString(staging.ReadSmallFile("SHA256SUMS", 1024)));
        using var stream = staging.OpenRead("rootfs_2.raw");
        var contents = new MemoryStream();
        stream.CopyTo(contents);
        Assert.Equal(Payload(100_000), contents.ToArray());
    }

    [Fact]
    public async Task A_dot_file_is_ignored_without_being_opened_even_when_it_is_a_fifo()
    {
        mount.Require();

        var snapshot = Stage(source =>
        {
            WriteNormalSet(source);
            Libc.MakeFifo(Path.Combine(source, ".#sysupdate.uki_3.efi.partial"), 0x180);
        });
        var fifo = Path.Combine(snapshot, ".#sysupdate.uki_3.efi.partial");

        // The kernel notes every open of the FIFO (even O_NONBLOCK, even if closed at once).
        using var opens = new InotifyWatch(fifo, InotifyWatch.Open | InotifyWatch.Access);
        using (var staging = StagingValidator.Validate(snapshot))
        {
            Assert.Equal(NormalSet, staging.Files.Select(f => f.Name));
            Assert.Equal([".#sysupdate.uki_3.efi.partial"], staging.IgnoredEntries);
        }

        Assert.True(opens.Events.Count == 0, "the validator opened the dot-file FIFO");

        // The watch does see an open (a reader that does not wait for a writer).
        Libc.Open(fifo, Libc.OReadOnly | Libc.ONonBlocking).Dispose();

        await opens.WaitForAsync(events => events.Any(e => (e.Mask & InotifyWatch.Open) != 0), "the test's own open of the FIFO");
    }

    [Theory]
    [InlineData("symlink to a host file", "passwd", "is a symbolic link")]
    [InlineData("dangling symlink", "dangling", "is a symbolic link")]
    [InlineData("hard link", "rootfs_2.raw", "is a hard link (2 names share its inode)")]
    [InlineData("fifo", "fifo", "is a FIFO")]
    [InlineData("unix socket", "socket", "is a socket")]
    [InlineData("device node", "null", "is a character device")]
    [InlineData("subdirectory", "subdir", "is a subdirectory")]
    [InlineData("newline", "new\\nline", "has a name with a control character")]
    [InlineData("escape", "esc\\x1b[2Jape", "has a name with a control character")]
    [InlineData("non-UTF-8 byte", "bad\\xffname", "has a name that is not valid UTF-8")]
    [InlineData("leading dash", "-rf", "has a name that does not start with a letter or a digit")]
    [InlineData("trailing dot", "uki_2.efi.", "has a name that ends in '.'")]
    public async Task A_bad_entry_refuses_the_whole_staged_update_naming_it(string kind, string entry, string problem)
    {
        mount.Require();

        var source = mount.NewPath("stage");
        _btrfs.CreateSubvolume(source);
        WriteNormalSet(source);
        var snapshot = mount.NewPath("snapshot");
        using (await MakeBadEntry(kind, source))
        {
            _btrfs.SnapshotReadOnly(source, snapshot);
        }

        var e = Assert.Throws<StagingValidationException>(() => StagingValidator.Validate(snapshot));

        Assert.Equal(entry, e.Entry);
        Assert.Equal(problem, e.Problem);
        Assert.Equal($"The staged update in '{snapshot}' is refused: the entry '{entry}' {problem}.", e.Message);
        AssertPrintable(e.Message);
    }

    [Fact]
    public void Five_thousand_files_exceed_the_default_limit_of_4096_entries()
    {
        mount.Require();

        var snapshot = Stage(source =>
        {
            for (var i = 0; i < 5000; i++)
            {
                File.WriteAllBytes(Path.Combine(source, $"file{i}"), []);
            }
        });

        var e = Assert.Throws<StagingValidationException>(() => StagingValidator.Validate(snapshot));

        Assert.Null(e.Entry);
        Assert.Equal($"The staged update in '{snapshot}' is refused: it holds more than 4096 entries.", e.Message);
    }

    [Fact]
    public void The_entry_limit_is_inclusive_and_counts_ignored_dot_files()
    {
        mount.Require();

        var snapshot = Stage(source =>
        {
            WriteNormalSet(source);
            File.WriteAllText(Path.Combine(source, ".partial"), "x");
        });

        using (var staging = StagingValidator.Validate(snapshot, new StagingLimits(5, StagingLimits.DefaultMaxTotalBytes)))
        {
            Assert.Equal(4, staging.Files.Count);
        }

        var e = Assert.Throws<StagingValidationException>(() => StagingValidator.Validate(snapshot, new StagingLimits(4, StagingLimits.DefaultMaxTotalBytes)));
        Assert.Equal("it holds more than 4 entries", e.Problem);
    }

    [Fact]
    public void A_sparse_file_over_the_default_size_bound_is_refused()
    {
        mount.Require();

        var size = StagingLimits.DefaultMaxTotalBytes + 1;
        var snapshot = Stage(source =>
        {
            using var sparse = new FileStream(Path.Combine(source, "rootfs_2.raw"), FileMode.CreateNew);
            sparse.SetLength(size);
        });

        var e = Assert.Throws<StagingValidationException>(() => StagingValidator.Validate(snapshot));

        Assert.Equal("rootfs_2.raw", e.Entry);
        Assert.Equal($"is {size} bytes, which takes the staged update past its bound of {StagingLimits.DefaultMaxTotalBytes} bytes", e.Problem);
    }

    [Fact]
    public void The_size_bound_is_on_the_total_of_all_files()
    {
        mount.Require();

        var snapshot = Stage(source =>
        {
            File.WriteAllBytes(Path.Combine(source, "a"), new byte[60]);
            File.WriteAllBytes(Path.Combine(source, "b"), new byte[40]);
            File.WriteAllBytes(Path.Combine(source, "c"), new byte[1]);
        });

        using (var staging = StagingValidator.Validate(snapshot, new StagingLimits(10, 101)))
        {
            Assert.Equal(101, staging.TotalBytes);
        }

        var e = Assert.Throws<StagingValidationException>(() => StagingValidator.Validate(snapshot, new StagingLimits(10, 100)));
        Assert.Contains("which takes the staged update past its bound of 100 bytes", e.Problem);
    }

    [Fact]
    public void An_empty_snapshot_is_valid_and_empty()
    {
        mount.Require();

        using var staging = StagingValidator.Validate(Stage(_ => { }));

        Assert.Empty(staging.Files);
        Assert.True(staging.IsReadOnlySnapshot);
    }

    [Fact]
    public void A_symlink_as_the_staging_directory_is_refused()
    {
        mount.Require();

        var snapshot = Stage(WriteNormalSet);
        var link = mount.NewPath("link-to-snapshot");
        File.CreateSymbolicLink(link, snapshot);

        var e = Assert.Throws<StagingValidationException>(() => StagingValidator.Validate(link));
        Assert.Equal($"The staged update in '{link}' is refused: it is a symbolic link.", e.Message);
    }

    [Fact]
    public void A_plain_directory_is_validated_but_not_reported_as_a_read_only_snapshot()
    {
        mount.Require();

        var source = mount.NewPath("writable-subvolume");
        _btrfs.CreateSubvolume(source);
        WriteNormalSet(source);
        var plain = mount.NewDirectory("plain");
        WriteNormalSet(plain);

        using var subvolume = StagingValidator.Validate(source);
        using var directory = StagingValidator.Validate(plain);

        Assert.False(subvolume.IsReadOnlySnapshot);
        Assert.False(directory.IsReadOnlySnapshot);
        Assert.Equal(NormalSet, directory.Files.Select(f => f.Name));
    }

    [Theory]
    [InlineData("renamed over", "changed after it was validated")]
    [InlineData("rewritten in place", "changed after it was validated")]
    [InlineData("appended to", "changed after it was validated")]
    [InlineData("hard linked", "is a hard link (2 names share its inode)")]
    [InlineData("replaced by a symlink", "is a symbolic link")]
    [InlineData("replaced by a FIFO", "is a FIFO")]
    [InlineData("deleted", "cannot be examined (No such file or directory)")]
    public void Opening_a_file_changed_after_validation_is_refused(string change, string problem)
    {
        mount.Require();

        var directory = mount.NewDirectory("writable");
        WriteNormalSet(directory);
        var target = Path.Combine(directory, "rootfs_2.raw");
        using var staging = StagingValidator.Validate(directory);

        // Timestamps tick at the kernel's coarse clock; let one pass so an in-place rewrite shows.
        Thread.Sleep(50);
        switch (change)
        {
            case "renamed over":
                File.WriteAllBytes(target + ".new", Payload(100_000));
                File.Move(target + ".new", target, overwrite: true);
                break;
            case "rewritten in place":
                using (var file = new FileStream(target, FileMode.Open, FileAccess.Write))
                {
                    file.Write(new byte[10]);
                }

                break;
            case "appended to":
                File.AppendAllText(target, "x");
                break;
            case "hard linked":
                Libc.Link(target, Path.Combine(directory, "..", $"outside-{Guid.NewGuid():N}"));
                break;
            case "replaced by a symlink":
                File.Delete(target);
                File.CreateSymbolicLink(target, "/etc/passwd");
                break;
            case "replaced by a FIFO":
                File.Delete(target);
                Libc.MakeFifo(target, 0x180);
                break;
            case "deleted":
                File.Delete(target);
                break;
        }

        var e = Assert.Throws<StagingValidationException>(() => staging.OpenRead("rootfs_2.raw"));
        Assert.Equal("rootfs_2.raw", e.Entry);
        Assert.Equal(problem, e.Problem);
        using var unchanged = staging.OpenRead("uki_2.efi");
        Assert.Equal(5, unchanged.Length);
    }

    [Fact]
    public void A_name_that_was_not_validated_cannot_be_opened()
    {
        mount.Require();

        var directory = mount.NewDirectory("late");
        WriteNormalSet(directory);
        using var staging = StagingValidator.Validate(directory);
        File.WriteAllText(Path.Combine(directory, "late_3.raw"), "arrived after validation");
        File.WriteAllText(Path.Combine(directory, ".partial"), "ignored");

        Assert.Equal("is not one of the files that were validated", Assert.Throws<StagingValidationException>(() => staging.OpenRead("late_3.raw")).Problem);
        Assert.Equal("is not one of the files that were validated", Assert.Throws<StagingValidationException>(() => staging.OpenRead(".partial")).Problem);
        Assert.Equal("is not one of the files that were validated", Assert.Throws<StagingValidationException>(() => staging.OpenRead("../etc/passwd")).Problem);
    }

    [Fact]
    public void Files_are_opened_through_the_kept_directory_fd_even_after_the_path_is_renamed()
    {
        mount.Require();

        var directory = mount.NewDirectory("moved");
        WriteNormalSet(directory);
        using var staging = StagingValidator.Validate(directory);

        // A look-alike at the old path must not be what gets read.
        Directory.Move(directory, directory + "-elsewhere");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "SHA256SUMS"), "forged\n\n");

        Assert.Equal("manifest\n", Encoding.ASCII.GetString(staging.ReadSmallFile("SHA256SUMS", 100)));
    }

    [Fact]
    public void A_small_file_over_its_cap_is_refused_before_it_is_read()
    {
        mount.Require();

        using var staging = StagingValidator.Validate(Stage(WriteNormalSet));

        var e = Assert.Throws<StagingValidationException>(() => staging.ReadSmallFile("rootfs_2.raw", 65536));
        Assert.Equal("is 100000 bytes, more than the 65536 bytes allowed for it", e.Problem);
        Assert.Equal(9, staging.ReadSmallFile("SHA256SUMS", 9).Length);
    }

    [Fact]
    public void A_disposed_staging_opens_nothing()
    {
        mount.Require();

        var staging = StagingValidator.Validate(Stage(WriteNormalSet));
        staging.Dispose();

        Assert.Throws<ObjectDisposedException>(() => staging.OpenRead("uki_2.efi"));
    }

    private string Stage(Action<string> fill)
    {
        var source = mount.NewPath("stage");
        _btrfs.CreateSubvolume(source);
        fill(source);
        var snapshot = mount.NewPath("snapshot");
        _btrfs.SnapshotReadOnly(source, snapshot);
        return snapshot;
    }

    private static void WriteNormalSet(string directory)
    {
        File.WriteAllText(Path.Combine(directory, "SHA256SUMS"), "manifest\n");
        File.WriteAllText(Path.Combine(directory, "SHA256SUMS.gpg"), "sig");
        File.WriteAllBytes(Path.Combine(directory, "rootfs_2.raw"), Payload(100_000));
        File.WriteAllText(Path.Combine(directory, "uki_2.efi"), "MZuki");
    }

    private static byte[] Payload(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7))];

    /// <summary>Makes the entry; what it returns (a bound socket) must stay open until the snapshot is taken.</summary>
    private static async Task<IDisposable?> MakeBadEntry(string kind, string source)
    {
        switch (kind)
        {
            case "symlink to a host file":
                File.CreateSymbolicLink(Path.Combine(source, "passwd"), "/etc/passwd");
                break;
            case "dangling symlink":
                File.CreateSymbolicLink(Path.Combine(source, "dangling"), "/nonexistent/target");
                break;
            case "hard link":
                // The second name is a dot-file, so only rootfs_2.raw is examined (and must be refused).
                Libc.Link(Path.Combine(source, "rootfs_2.raw"), Path.Combine(source, ".rootfs_2.raw.link"));
                break;
            case "fifo":
                Libc.MakeFifo(Path.Combine(source, "fifo"), 0x180);
                break;
            case "unix socket":
                // .NET unlinks a bound socket's path when the socket is disposed.
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(source, "socket")));
                return socket;
            case "device node":
                await BtrfsLoopMount.Run("mknod", Path.Combine(source, "null"), "c", "1", "3");
                break;
            case "subdirectory":
                Directory.CreateDirectory(Path.Combine(source, "subdir"));
                break;
            case "newline":
                File.WriteAllText(Path.Combine(source, "new\nline"), "x");
                break;
            case "escape":
                File.WriteAllText(Path.Combine(source, "esc\u001b[2Jape"), "x");
                break;
            case "non-UTF-8 byte":
                // .NET strings cannot hold the byte 0xff in a path; python writes the raw bytes.
                await BtrfsLoopMount.Run("python3", "-c", "import os, sys; open(os.fsencode(sys.argv[1]) + b'/bad\\xffname', 'wb').close()", source);
                break;
            case "leading dash":
                File.WriteAllText(Path.Combine(source, "-rf"), "x");
                break;
            case "trailing dot":
                File.WriteAllText(Path.Combine(source, "uki_2.efi."), "x");
                break;
            default:
                throw new ArgumentException($"Unknown kind '{kind}'.", nameof(kind));
        }

        return null;
    }

    private static void AssertPrintable(string message) =>
        Assert.DoesNotContain(message, c => c < 0x20 || c >= 0x7f);
}
