using ImageUpdate.Formats.Gpt;

namespace ImageUpdate.Tests.Formats.Gpt;

internal static class GptAssert
{
    /// <summary>Our table says exactly what sfdisk --json says: disk, geometry, every used slot.</summary>
    public static void Matches(SfdiskTable expected, PartitionTable actual)
    {
        Assert.Equal(expected.Id, actual.DiskGuid);
        Assert.Equal(expected.SectorSize, actual.SectorSize);
        Assert.Equal(expected.FirstLba, actual.FirstUsableLba);
        Assert.Equal(expected.LastLba, actual.LastUsableLba);
        Assert.Equal(expected.TableLength, actual.Entries.Length);
        var ours = actual.Partitions
            .Select(p => new SfdiskPartition(p.Index + 1, p.Entry.StartingLba, p.Entry.SizeInLba, p.Entry.Type, p.Entry.UniqueId, p.Entry.Name, p.Entry.Attributes))
            .OrderBy(p => p.Number);
        Assert.Equal(expected.Partitions.OrderBy(p => p.Number), ours);
    }

    public static void SgdiskFindsNoProblems(string target)
    {
        var report = GptTools.SgdiskVerify(target);
        Assert.True(report.Contains("No problems found", StringComparison.Ordinal), report);
    }
}
