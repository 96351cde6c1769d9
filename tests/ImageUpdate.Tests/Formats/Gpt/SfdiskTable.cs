using System.Globalization;
using System.Text.Json;

namespace ImageUpdate.Tests.Formats.Gpt;

/// <summary>What `sfdisk --json` reports about a GPT: the oracle our reader is compared with.</summary>
internal sealed record SfdiskTable(Guid Id, ulong FirstLba, ulong LastLba, int TableLength, int SectorSize, IReadOnlyList<SfdiskPartition> Partitions)
{
    public static SfdiskTable Parse(JsonDocument json)
    {
        var table = json.RootElement.GetProperty("partitiontable");
        Assert.Equal("gpt", table.GetProperty("label").GetString());
        var length = table.TryGetProperty("table-length", out var tl) ? int.Parse(tl.GetString()!, CultureInfo.InvariantCulture) : 128;
        var partitions = new List<SfdiskPartition>();
        if (table.TryGetProperty("partitions", out var list))
        {
            foreach (var p in list.EnumerateArray())
            {
                var node = p.GetProperty("node").GetString()!;
                var digits = new string(node.Reverse().TakeWhile(char.IsAsciiDigit).Reverse().ToArray());
                partitions.Add(new SfdiskPartition(
                    int.Parse(digits, CultureInfo.InvariantCulture),
                    p.GetProperty("start").GetUInt64(),
                    p.GetProperty("size").GetUInt64(),
                    Guid.Parse(p.GetProperty("type").GetString()!),
                    Guid.Parse(p.GetProperty("uuid").GetString()!),
                    p.TryGetProperty("name", out var name) ? name.GetString()! : string.Empty,
                    ParseAttributes(p.TryGetProperty("attrs", out var attrs) ? attrs.GetString()! : string.Empty)));
            }
        }

        return new SfdiskTable(
            Guid.Parse(table.GetProperty("id").GetString()!),
            table.GetProperty("firstlba").GetUInt64(),
            table.GetProperty("lastlba").GetUInt64(),
            length,
            table.GetProperty("sectorsize").GetInt32(),
            partitions);
    }

    /// <summary>libfdisk's spelling: "RequiredPartition NoBlockIOProtocol LegacyBIOSBootable GUID:48,60".</summary>
    public static ulong ParseAttributes(string text)
    {
        ulong flags = 0;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            switch (word)
            {
                case "RequiredPartition":
                    flags |= 1UL << 0;
                    break;
                case "NoBlockIOProtocol":
                    flags |= 1UL << 1;
                    break;
                case "LegacyBIOSBootable":
                    flags |= 1UL << 2;
                    break;
                default:
                    Assert.StartsWith("GUID:", word, StringComparison.Ordinal);
                    foreach (var bit in word["GUID:".Length..].Split(','))
                    {
                        flags |= 1UL << int.Parse(bit, CultureInfo.InvariantCulture);
                    }

                    break;
            }
        }

        return flags;
    }
}
