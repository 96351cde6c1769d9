using System.Globalization;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>
/// systemd-repart 252 (Debian 12's /usr/bin/systemd-repart) as the oracle for layouts: the same
/// repart.d files and seed, `--empty=create --dry-run=no` on a new image file (512-byte sectors, the only
/// kind repart 252 makes in a file: it has no --sector-size) or `--empty=force` on a loop device with
/// 4096-byte sectors. It formats Format=vfat partitions through loop devices of its own, so it needs
/// root; loop devices without partition scanning are enough (it skips the re-read and says so).
/// </summary>
internal static class RepartOracle
{
    public static void Require()
    {
        GptTools.RequireRoot("systemd-repart");
        GptTools.Require("systemd-repart", "sfdisk", "sgdisk", "losetup");
    }

    /// <summary>Writes NAME.conf files into a new directory under <paramref name="parent"/>.</summary>
    public static string WriteDefinitions(string parent, IReadOnlyDictionary<string, string> files)
    {
        var directory = Path.Combine(parent, "repart.d");
        Directory.CreateDirectory(directory);
        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Combine(directory, name), content);
        }

        return directory;
    }

    /// <summary>Runs repart on a new image file; <paramref name="size"/> null means --size=auto.</summary>
    public static SfdiskTable CreateImage(string definitions, Guid seed, ulong? size, string image)
    {
        GptTools.Run("systemd-repart",
        [
            "--empty=create", "--dry-run=no", "--no-pager", "--pretty=no",
            $"--size={(size is { } s ? s.ToString(CultureInfo.InvariantCulture) : "auto")}",
            $"--definitions={definitions}", $"--seed={seed}", image,
        ]);
        return GptTools.SfdiskJson(image);
    }

    /// <summary>Runs repart on a loop device with 4096-byte sectors over a new image of <paramref name="size"/> bytes.</summary>
    public static SfdiskTable CreateOn4096Loop(string definitions, Guid seed, ulong size, string image)
    {
        using (var file = new FileStream(image, FileMode.CreateNew, FileAccess.Write))
        {
            file.SetLength((long)size);
        }

        var loop = GptTools.Run("losetup", ["--find", "--show", "--sector-size", "4096", image]).Trim();
        try
        {
            GptTools.Run("systemd-repart", ["--empty=force", "--dry-run=no", "--no-pager", "--pretty=no", $"--definitions={definitions}", $"--seed={seed}", loop]);
            return GptTools.SfdiskJson(loop);
        }
        finally
        {
            GptTools.Run("losetup", ["--detach", loop], check: false);
        }
    }

    /// <summary>Asserts that repart's table and our plan agree on every field sfdisk shows.</summary>
    public static void AssertSame(SfdiskTable expected, DiskLayout actual)
    {
        Assert.Equal(expected.SectorSize, actual.SectorSize);
        Assert.Equal(expected.Id, actual.DiskGuid);
        Assert.Equal(expected.FirstLba, actual.FirstUsableLba);
        Assert.Equal(expected.LastLba, actual.LastUsableLba);
        Assert.Equal(
            expected.Partitions.Select(p => (p.Number, p.Start, p.Size, p.Type, p.Uuid, p.Name, p.Attributes)),
            actual.Partitions.Select(p => (p.Number, p.FirstLba(actual.SectorSize), p.Size / (ulong)actual.SectorSize, p.Type, p.Uuid, p.Label, p.Attributes)));
    }
}
