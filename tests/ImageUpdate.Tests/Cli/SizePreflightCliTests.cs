using System.Security.Cryptography;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// `image-update --image DISK update` on a disk image whose ESP has no room for the new UKI while
/// its root slot would fit (issue 18): refused in one line naming both sizes before anything is
/// written, so the free root slot stays byte for byte what it was, and the disk with it.
/// </summary>
public sealed class SizePreflightCliTests
{
    [Fact]
    public async Task A_UKI_without_room_on_the_ESP_of_an_image_leaves_the_root_slot_untouched()
    {
        GptTools.Require("sfdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mdel", "mmd");
        using var s = new DiskImageScenario();
        s.NewVersion("1");
        var first = await s.RunAsync("update");
        Assert.True(first.ExitCode == 0, first.ToString());

        s.NewVersion("2");
        var uki = new byte[40 << 20];
        new Random(2).NextBytes(uki);
        File.WriteAllBytes(s.Uki("2"), uki);
        var freeSlot = GptTools.SfdiskJson(s.Disk).Partitions.Single(p => p.Name == "_empty");
        var slotBefore = SlotDigest(s.Disk, freeSlot.Start, freeSlot.Size);
        var diskBefore = Digest(s.Disk);

        var update = await s.RunAsync("update");

        Assert.True(update.ExitCode == 1, update.ToString());
        Assert.Matches(
            $@"^image-update: error: Not enough free space on the ESP \(partition 1\) of '{System.Text.RegularExpressions.Regex.Escape(s.Disk)}' for '{System.Text.RegularExpressions.Regex.Escape(s.Uki("2"))}': {40 << 20} bytes needed, \d+ bytes available, refusing\.$",
            update.Stderr.Trim().Split('\n')[^1]);
        Assert.DoesNotContain("Making room", update.Stderr, StringComparison.Ordinal);
        Assert.Equal(slotBefore, SlotDigest(s.Disk, freeSlot.Start, freeSlot.Size));
        Assert.Equal(diskBefore, Digest(s.Disk));
        Assert.Equal("_empty", GptTools.SfdiskJson(s.Disk).Partitions.Single(p => p.Start == freeSlot.Start).Name);
    }

    private static string Digest(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file));
    }

    private static string SlotDigest(string disk, ulong startSector, ulong sectors)
    {
        using var file = File.OpenRead(disk);
        file.Position = (long)startSector * 512;
        var bytes = new byte[(long)sectors * 512];
        file.ReadExactly(bytes);
        return Convert.ToHexString(SHA256.HashData(bytes));
    }
}
