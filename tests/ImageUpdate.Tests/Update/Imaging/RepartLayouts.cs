namespace ImageUpdate.Tests.Update.Imaging;

/// <summary>The repart.d sets the layout tests run, by name, each with the disk size repart gets (null: --size=auto).</summary>
internal static class RepartLayouts
{
    public const string Demo = "demo";
    public const string OddSizes = "odd-sizes";
    public const string Weights = "weights";
    public const string Priorities = "priorities";
    public const string DefaultsAndFlags = "defaults-and-flags";

    public static readonly Guid Seed = new("0f2c2f8e-1c1a-4a7e-9d6a-6d4b2b6e7a11");

    public static IReadOnlyDictionary<string, string> Files(string name) => name switch
    {
        // The demo product: an ESP and two empty A/B root slots.
        Demo => new Dictionary<string, string>
        {
            ["10-esp.conf"] = "[Partition]\nType=esp\nLabel=ESP\nSizeMinBytes=64M\nSizeMaxBytes=64M\nFormat=vfat\n",
            ["20-root-a.conf"] = "[Partition]\nType=root\nLabel=_empty\nSizeMinBytes=100M\nSizeMaxBytes=100M\n",
            ["21-root-b.conf"] = "[Partition]\nType=root\nLabel=_empty\nSizeMinBytes=100M\nSizeMaxBytes=100M\n",
        },

        // Sizes that are not multiples of 4096 (rounded up for minimums, down for maximums), decimals and sums.
        OddSizes => new Dictionary<string, string>
        {
            ["a.conf"] = "[Partition]\nType=esp\nSizeMinBytes=33554433\nSizeMaxBytes=40000000\nFormat=vfat\n",
            ["b.conf"] = "[Partition]\nType=root-x86-64\nLabel=_empty\nSizeMinBytes=12.5M\nSizeMaxBytes=1G 1K\nPaddingMinBytes=5000\n",
            ["c.conf"] = "[Partition]\nType=linux-generic\nSizeMinBytes=1\n",
        },

        // Weights and padding weights sharing a fixed-size disk, one partition capped by its maximum.
        Weights => new Dictionary<string, string>
        {
            ["1.conf"] = "[Partition]\nType=esp\nSizeMinBytes=32M\nSizeMaxBytes=48M\nWeight=5000\n",
            ["2.conf"] = "[Partition]\nType=root\nLabel=root-a\nWeight=2000\nPaddingWeight=500\nPaddingMaxBytes=7M\n",
            ["3.conf"] = "[Partition]\nType=root\nLabel=root-b\nWeight=1000\nSizeMinBytes=50M\n",
            ["4.conf"] = "[Partition]\nType=home\nWeight=0\nPaddingWeight=100\n",
            ["5.conf"] = "[Partition]\nType=var\nWeight=333\nSizeMaxBytes=70M\n",
        },

        // A disk too small for everything: the highest priority group is dropped.
        Priorities => new Dictionary<string, string>
        {
            ["1.conf"] = "[Partition]\nType=esp\nSizeMinBytes=32M\n",
            ["2.conf"] = "[Partition]\nType=root\nSizeMinBytes=40M\nPriority=1\n",
            ["3.conf"] = "[Partition]\nType=root\nSizeMinBytes=40M\nPriority=2\n",
            ["4.conf"] = "[Partition]\nType=swap\nSizeMinBytes=20M\nPriority=2\n",
            ["5.conf"] = "[Partition]\nType=srv\nSizeMinBytes=20M\n",
        },

        // Labels and UUIDs left to repart, literal type UUIDs, explicit UUID=, and every attribute setting.
        // Flags= uses bits 48-63 only: repart 252 hands libfdisk bit numbers it cannot parse below 48, and
        // then writes no attributes at all for that partition (checked by hand; we write what Flags= says).
        DefaultsAndFlags => new Dictionary<string, string>
        {
            ["01.conf"] = "[Partition]\nType=root\n",
            ["02.conf"] = "[Partition]\nType=root\nReadOnly=yes\n",
            ["03.conf"] = "[Partition]\nType=4f68bce3-e8cd-4db1-96e7-fbcaf984b709\nNoAuto=yes\nGrowFileSystem=no\n",
            ["04.conf"] = "[Partition]\nType=root-verity\n",
            ["05.conf"] = "[Partition]\nType=usr\nReadOnly=no\nFlags=0x1001000000000000\n",
            ["06.conf"] = "[Partition]\nType=esp\nNoAuto=yes\nReadOnly=yes\nGrowFileSystem=yes\n",
            ["07.conf"] = "[Partition]\nType=swap\nNoAuto=1\n",
            ["08.conf"] = "[Partition]\nType=0fc63daf84834772 8e793d69d8477de4\n".Replace(" ", string.Empty, StringComparison.Ordinal),
            ["09.conf"] = "[Partition]\nType=11111111-2222-3333-4444-555555555555\nUUID=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\nLabel=\n",
            ["10.conf"] = "[Partition]\nType=root\nLabel=root-x86-64-2\n",
            ["11.conf"] = "[Partition]\nType=xbootldr\nReadOnly=yes\n",
            ["12.conf"] = "[Partition]\nType=usr-verity\nReadOnly=no\n",
        },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "No such layout."),
    };
}
