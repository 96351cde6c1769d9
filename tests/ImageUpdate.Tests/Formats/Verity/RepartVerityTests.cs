using ImageUpdate.Formats.Verity;

namespace ImageUpdate.Tests.Formats.Verity;

public sealed class RepartVerityTests
{
    // Golden values from systemd-repart 262.1 (Debian sid) run with --seed=750b6cd5-c4ae-4012-a15e-7be3c29e6a47
    // on 300 random 4096-byte blocks (CopyBlocks=, Verity=data/hash/signature): the salt and UUID read
    // from its hash partition's superblock, the UUIDs from its --json output. RepartOracleTests
    // re-runs repart for the same comparisons on fresh data.
    private static readonly Guid Seed = Guid.Parse("750b6cd5-c4ae-4012-a15e-7be3c29e6a47");

    [Fact]
    public void The_salt_is_the_hmac_of_verity_salt_keyed_with_the_seed()
    {
        Assert.Equal("aece282c3c2def3554654f2e7295e770a8ba079339ff8818bd2dcd9a6817f99c", Convert.ToHexStringLower(RepartVerity.Salt(Seed)));
    }

    [Fact]
    public void The_superblock_uuid_is_the_v4_hmac_of_verity_uuid_keyed_with_the_seed()
    {
        Assert.Equal(Guid.Parse("5b4cf557-8269-4aa1-8669-41f3431271c8"), RepartVerity.SuperblockUuid(Seed));
    }

    [Fact]
    public void The_partition_uuids_are_the_halves_of_the_root_hash_without_version_bits()
    {
        var rootHash = Convert.FromHexString("1e87e31b26c76c272d1269bc28f7923b85d58d9ca62be141ac7383be7c244242");

        Assert.Equal(Guid.Parse("1e87e31b-26c7-6c27-2d12-69bc28f7923b"), RepartVerity.DataPartitionUuid(rootHash));
        Assert.Equal(Guid.Parse("85d58d9c-a62b-e141-ac73-83be7c244242"), RepartVerity.HashPartitionUuid(rootHash));
        Assert.Equal(rootHash, RepartVerity.RootHashFromPartitionUuids(RepartVerity.DataPartitionUuid(rootHash), RepartVerity.HashPartitionUuid(rootHash)));
    }

    [Fact]
    public void Repart_parameters_carry_the_derived_salt_uuid_and_block_sizes()
    {
        var parameters = RepartVerity.Parameters(Seed, 1024, 512);
        Assert.Equal(1024, parameters.DataBlockSize);
        Assert.Equal(512, parameters.HashBlockSize);
        Assert.Equal(RepartVerity.Salt(Seed), parameters.Salt.ToArray());
        Assert.Equal(RepartVerity.SuperblockUuid(Seed), parameters.Uuid);
        Assert.Equal(4096, RepartVerity.Parameters(Seed).DataBlockSize);
    }

    [Fact]
    public void A_short_root_hash_is_a_caller_mistake()
    {
        Assert.Throws<ArgumentException>(() => RepartVerity.DataPartitionUuid(new byte[20]));
    }
}
