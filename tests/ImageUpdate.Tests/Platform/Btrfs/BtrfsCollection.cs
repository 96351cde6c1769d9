namespace ImageUpdate.Tests.Platform.Btrfs;

/// <summary>One loop-mounted BTRFS shared by the Btrfs and Staging tests (mkfs and mount take a second each).</summary>
[CollectionDefinition(Name)]
public sealed class BtrfsCollection : ICollectionFixture<BtrfsLoopMount>
{
    public const string Name = "btrfs";
}
