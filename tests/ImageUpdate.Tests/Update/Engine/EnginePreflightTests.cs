using System.Security.Cryptography;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Engine;

/// <summary>
/// The whole update's size check (issue 18): once every transfer's source is chosen and before making
/// room or any write, each payload of known size is held against its target's room after the planned
/// vacuum. A refusal leaves every byte of the disk as it was: no slot claimed or written, nothing
/// vacuumed, no in-flight file.
/// </summary>
public sealed class EnginePreflightTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<string> _statuses = [];

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_UKI_that_does_not_fit_the_ESP_is_refused_before_the_root_slot_that_fits_is_written()
    {
        GptTools.Require("sfdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mdel", "mmd");
        using var s = new DiskImageScenario();
        s.NewVersion("1");
        Assert.Equal(UpdateOutcome.Installed, (await Engine(s).UpdateAsync(null, UpdateActions.All, CancellationToken.None)).Outcome);

        // Version 2: the root (3 MiB) fits a free slot, the UKI (40 MiB) not the 32 MiB ESP.
        s.NewVersion("2");
        Sized(s.Uki("2"), 40 << 20);
        var free = FreeBytes(s);
        var before = Digest(s.Disk);
        _statuses.Clear();

        var e = await Assert.ThrowsAsync<UpdateException>(() => Engine(s).UpdateAsync(null, UpdateActions.All, CancellationToken.None));

        Assert.Equal($"Not enough free space on the ESP (partition 1) of '{s.Disk}' for '{s.Uki("2")}': {40 << 20} bytes needed, {free} bytes available, refusing.", e.Message);
        Assert.Equal(before, Digest(s.Disk));
        Assert.DoesNotContain(_statuses, t => t.StartsWith("Making room", StringComparison.Ordinal) || t.StartsWith("Updating", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_room_counts_what_the_planned_vacuum_frees_and_only_that()
    {
        GptTools.Require("sfdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mdel", "mmd");
        using var s = new DiskImageScenario();
        foreach (var version in new[] { "1", "2" })
        {
            s.NewVersion(version);
            Sized(s.Uki(version), 12 << 20);
            Assert.Equal(UpdateOutcome.Installed, (await Engine(s).UpdateAsync(version, UpdateActions.All, CancellationToken.None)).Outcome);
        }

        // InstancesMax=2: making room for 3 removes 1 (12 MiB freed), never 2.
        var free = FreeBytes(s);
        Assert.True(free < 12 << 20, $"the ESP has {free} bytes free");
        s.NewVersion("3");
        Sized(s.Uki("3"), (int)(free + (12 << 20) + (1 << 20)));
        var before = Digest(s.Disk);

        var e = await Assert.ThrowsAsync<UpdateException>(() => Engine(s).UpdateAsync(null, UpdateActions.All, CancellationToken.None));

        Assert.Equal($"Not enough free space on the ESP (partition 1) of '{s.Disk}' for '{s.Uki("3")}': {free + (13 << 20)} bytes needed, {free + (12 << 20)} bytes available, refusing.", e.Message);
        Assert.Equal(before, Digest(s.Disk));

        // Within what removing version 1 frees, it goes through: the vacuum then makes the room.
        Sized(s.Uki("3"), (int)(free + (11 << 20)));
        Assert.Equal(UpdateOutcome.Installed, (await Engine(s).UpdateAsync(null, UpdateActions.All, CancellationToken.None)).Outcome);
        Assert.Contains("::/EFI/Linux/demo_3+3-0.efi", s.EspFiles());
        Assert.DoesNotContain(s.EspFiles(), f => f.Contains("demo_1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_root_larger_than_every_slot_making_room_would_free_is_refused_before_the_vacuum()
    {
        GptTools.Require("sfdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mdel", "mmd");
        using var s = new DiskImageScenario();
        foreach (var version in new[] { "1", "2" })
        {
            s.NewVersion(version);
            Assert.Equal(UpdateOutcome.Installed, (await Engine(s).UpdateAsync(version, UpdateActions.All, CancellationToken.None)).Outcome);
        }

        // Version 1 lies in the 40 MiB slot (the smallest that held it), version 2 in the 120 MiB one,
        // which making room keeps: a 50 MiB root fits no slot it could have.
        var slots = GptTools.SfdiskJson(s.Disk).Partitions.Where(p => p.Name.StartsWith("demo_", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, slots.Count);
        s.NewVersion("3");
        Sized(s.Root("3"), 50 << 20);
        var before = Digest(s.Disk);
        _statuses.Clear();

        var e = await Assert.ThrowsAsync<UpdateException>(() => Engine(s).UpdateAsync(null, UpdateActions.All, CancellationToken.None));

        Assert.Matches(
            $@"^No available partition of a suitable size found for '{System.Text.RegularExpressions.Regex.Escape(s.Root("3"))}' in '{System.Text.RegularExpressions.Regex.Escape(s.Disk)}' \(type root-x86-64\): the payload is {50 << 20} bytes, the largest free slot \(\S+\) holds {40 << 20} bytes\.$",
            e.Message);
        Assert.Equal(before, Digest(s.Disk));
        Assert.DoesNotContain(_statuses, t => t.StartsWith("Making room", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Payloads_for_one_file_system_are_summed_and_refused_together_when_only_each_alone_fits()
    {
        var root = AppTree.Make(_dir["root"], "1", [], []);
        using var small = new SmallFileSystem(Path.Combine(root, "srv/target"), 256);
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/20-extra.transfer"), """
            [Source]
            Type=regular-file
            Path=/srv/extra-source
            MatchPattern=extra_@v.bin

            [Target]
            Type=regular-file
            Path=/srv/target/extra
            MatchPattern=extra_@v.bin
            """);
        Directory.CreateDirectory(Path.Combine(root, "srv/extra-source"));
        File.WriteAllBytes(Path.Combine(root, "srv/source/app_2.bin"), new byte[150 << 10]);
        File.WriteAllBytes(Path.Combine(root, "srv/extra-source/extra_2.bin"), new byte[150 << 10]);

        var e = await Assert.ThrowsAsync<UpdateException>(() => HostEngine(root).UpdateAsync(null, UpdateActions.All, CancellationToken.None));

        Assert.Equal(
            $"Not enough free space in '{small.Path}' for the transfers 10-app ('{root}/srv/source/app_2.bin', 153600 bytes), 20-extra ('{root}/srv/extra-source/extra_2.bin', 153600 bytes): 307200 bytes needed together, 262144 bytes available, refusing.",
            e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(small.Path));
        Assert.DoesNotContain(_statuses, t => t.StartsWith("Making room", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_slot_taken_by_an_earlier_transfer_is_not_offered_to_the_next_one()
    {
        GptTools.Require("sfdisk", "sgdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mdel", "mmd");
        using var s = new DiskImageScenario();
        s.NewVersion("1");
        Assert.Equal(UpdateOutcome.Installed, (await Engine(s).UpdateAsync(null, UpdateActions.All, CancellationToken.None)).Outcome);

        // A second root transfer holding version 1 in a small slot of its own: one free slot is left
        // for two root transfers of version 2 (each sees two slots, its own and the free one).
        GptTools.Run("sgdisk", ["-n", "0:0:+4M", "-t", "0:4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "-c", "0:second_1", s.Disk]);
        File.WriteAllText(Path.Combine(s.Definitions, "20-second.transfer"), $"""
            [Source]
            Type=regular-file
            Path={s.Payloads}
            MatchPattern=second_@v.root

            [Target]
            Type=partition
            Path=auto
            MatchPattern=second_@v
            MatchPartitionType=root-x86-64
            """);
        s.NewVersion("2");
        Sized(Path.Combine(s.Payloads, "second_2.root"), 1 << 20);
        var before = Digest(s.Disk);
        _statuses.Clear();

        var e = await Assert.ThrowsAsync<UpdateException>(() => Engine(s).UpdateAsync(null, UpdateActions.All, CancellationToken.None));

        Assert.Equal($"No available partition of a suitable size found for '{Path.Combine(s.Payloads, "second_2.root")}' in '{s.Disk}' (type root-x86-64): no free ('_empty') slot.", e.Message);
        Assert.Equal(before, Digest(s.Disk));
        Assert.DoesNotContain(_statuses, t => t.StartsWith("Making room", StringComparison.Ordinal) || t.StartsWith("Updating", StringComparison.Ordinal));
    }

    [Fact]
    public async Task What_making_room_wipes_of_a_disabled_transfer_counts_as_room()
    {
        var root = AppTree.Make(_dir["root"], "1", [], []);
        using var small = new SmallFileSystem(Path.Combine(root, "srv/target"), 256);
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/optional.feature"), """
            [Feature]
            Description=Optional Feature
            """);
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/20-optional.transfer"), """
            [Transfer]
            Features=optional

            [Source]
            Type=regular-file
            Path=/srv/source
            MatchPattern=optional_@v.bin

            [Target]
            Type=regular-file
            Path=/srv/target
            MatchPattern=optional_@v.bin
            """);

        // The disabled transfer's file fills most of the file system: only wiping it makes the room.
        File.WriteAllBytes(Path.Combine(small.Path, "optional_1.bin"), new byte[200 << 10]);
        File.WriteAllBytes(Path.Combine(root, "srv/source/app_2.bin"), new byte[150 << 10]);

        Assert.Equal(UpdateOutcome.Installed, (await HostEngine(root).UpdateAsync(null, UpdateActions.All, CancellationToken.None)).Outcome);

        Assert.Equal(["app_2.bin"], Directory.EnumerateFileSystemEntries(small.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Leftovers_in_a_directory_two_targets_share_are_counted_once()
    {
        var root = AppTree.Make(_dir["root"], "1", [], []);
        using var small = new SmallFileSystem(Path.Combine(root, "srv/target"), 256);
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/20-extra.transfer"), """
            [Source]
            Type=regular-file
            Path=/srv/extra-source
            MatchPattern=extra_@v.bin

            [Target]
            Type=regular-file
            Path=/srv/target
            MatchPattern=extra_@v.bin
            """);
        Directory.CreateDirectory(Path.Combine(root, "srv/extra-source"));

        // 100 KiB of leftovers both targets find: 256 KiB at most once they are gone, not 356 KiB.
        File.WriteAllBytes(Path.Combine(small.Path, ".sysupdate.partial.app_1.bin"), new byte[100 << 10]);
        File.WriteAllBytes(Path.Combine(root, "srv/source/app_2.bin"), new byte[150 << 10]);
        File.WriteAllBytes(Path.Combine(root, "srv/extra-source/extra_2.bin"), new byte[150 << 10]);
        _statuses.Clear();

        var e = await Assert.ThrowsAsync<UpdateException>(() => HostEngine(root).UpdateAsync(null, UpdateActions.All, CancellationToken.None));

        Assert.Equal(
            $"Not enough free space in '{small.Path}' for the transfers 10-app ('{root}/srv/source/app_2.bin', 153600 bytes), 20-extra ('{root}/srv/extra-source/extra_2.bin', 153600 bytes): 307200 bytes needed together, 262144 bytes available, refusing.",
            e.Message);
        Assert.Equal([".sysupdate.partial.app_1.bin"], Directory.EnumerateFileSystemEntries(small.Path).Select(Path.GetFileName));
        Assert.DoesNotContain(_statuses, t => t.StartsWith("Making room", StringComparison.Ordinal));
    }

    private UpdateEngine Engine(DiskImageScenario s) =>
        new(new EngineOptions { Image = s.Disk, DefinitionsDirectory = s.Definitions }, NullLogger.Instance, new Statuses(_statuses));

    private UpdateEngine HostEngine(string root) =>
        new(
            new EngineOptions { Root = root },
            NullLogger.Instance,
            new Statuses(_statuses),
            transfer => new ImageUpdate.Update.Transfers.LocalSource(transfer.Source, Path.Join(root, transfer.Source.Path)));

    /// <summary>Rewrites a payload to <paramref name="bytes"/> bytes (random, so nothing reads it as compressed).</summary>
    private static void Sized(string path, int bytes)
    {
        var data = new byte[bytes];
        new Random(bytes).NextBytes(data);
        File.WriteAllBytes(path, data);
    }

    private static long FreeBytes(DiskImageScenario s) =>
        long.Parse(
            System.Text.RegularExpressions.Regex.Match(GptTools.Run("mdir", ["-i", $"{s.Disk}@@{DiskImageScenario.EspOffset}", "::/"]), @"([\d ]+) bytes free").Groups[1].Value.Replace(" ", string.Empty, StringComparison.Ordinal),
            System.Globalization.CultureInfo.InvariantCulture);

    private static string Digest(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file));
    }

    private sealed class Statuses(List<string> statuses) : IUpdateObserver
    {
        public void OnStatus(string version, string status) => statuses.Add(status);

        public void OnProgress(string version, int index, int count, double fraction)
        {
        }
    }
}
