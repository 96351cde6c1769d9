using System.Buffers.Binary;
using System.Text;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Verity;

public sealed class VerityVerifierTests
{
    private const int Blocks = 200;

    [Fact]
    public async Task A_pair_veritysetup_formatted_verifies_with_its_root_hash()
    {
        Veritysetup.Require();
        using var temp = new TempDirectory();
        File.WriteAllBytes(temp["data"], VerityHashTreeTests.RandomData(Blocks * 4096, 11));
        var root = Veritysetup.Format(temp["data"], temp["hash"], 4096, 4096, salt: null);

        var result = await VerifyFilesAsync(temp["data"], temp["hash"], Convert.FromHexString(root));

        Assert.Equal(root, result.RootHashHex);
        Assert.Equal(Blocks, result.Superblock.DataBlocks);
        Assert.Equal(Guid.Parse(Veritysetup.Uuid), result.Superblock.Parameters.Uuid);
    }

    [Fact]
    public async Task A_flipped_data_byte_is_refused_as_a_verification_failure()
    {
        using var temp = new TempDirectory();
        var (data, hash, root) = Build(temp);
        var bytes = File.ReadAllBytes(data);
        bytes[123 * 4096 + 17] ^= 0x01;
        File.WriteAllBytes(data, bytes);

        var error = await Assert.ThrowsAsync<VerificationException>(() => VerifyFilesAsync(data, hash, root));

        Assert.Equal($"Verity hash tree in '{hash}' does not match the data in '{data}' (first difference in hash block 1 of the device).", error.Message);
    }

    [Fact]
    public async Task A_flipped_hash_byte_is_refused_even_when_the_root_hash_still_matches()
    {
        using var temp = new TempDirectory();
        var (data, hash, root) = Build(temp);
        var bytes = File.ReadAllBytes(hash);
        bytes[2 * 4096 + 40] ^= 0x80; // level 0, second digest
        File.WriteAllBytes(hash, bytes);

        var error = await Assert.ThrowsAsync<VerificationException>(() => VerifyFilesAsync(data, hash, root));

        Assert.Contains("does not match the data", error.Message);
    }

    [Fact]
    public async Task Another_root_hash_than_the_expected_one_is_refused()
    {
        using var temp = new TempDirectory();
        var (data, hash, root) = Build(temp);
        var other = (byte[])root.Clone();
        other[0] ^= 0xff;

        var error = await Assert.ThrowsAsync<VerificationException>(() => VerifyFilesAsync(data, hash, other));

        Assert.Equal($"Verity root hash of '{data}' is {Convert.ToHexStringLower(root)}, not the expected {Convert.ToHexStringLower(other)}.", error.Message);
    }

    [Fact]
    public async Task Without_an_expected_root_hash_the_verifier_returns_the_computed_one()
    {
        using var temp = new TempDirectory();
        var (data, hash, root) = Build(temp);
        var result = await VerifyFilesAsync(data, hash, ReadOnlyMemory<byte>.Empty);
        Assert.Equal(root, result.RootHash.ToArray());
    }

    // One row per malformed field: the superblock is patched at the offset of cryptsetup's struct verity_sb.
    [Theory]
    [InlineData("magic", "no verity superblock (magic is 7665726974790001, not 7665726974790000)")]
    [InlineData("version", "superblock version 2 is not supported (only 1)")]
    [InlineData("hash-type", "hash type 0 is not supported (only 1)")]
    [InlineData("algorithm", "hash algorithm 'sha1' is not supported (only sha256)")]
    [InlineData("data-block-size", "data block size 3000 is not a power of two from 512 to 524288")]
    [InlineData("hash-block-size", "hash block size 256 is not a power of two from 512 to 524288")]
    [InlineData("huge-block-size", "data block size 1048576 is not a power of two from 512 to 524288")]
    [InlineData("zero-blocks", "data block count 0 is out of range")]
    [InlineData("huge-blocks", "data block count 18446744073709551615 is out of range")]
    [InlineData("salt-size", "salt size 257 is larger than the 256 bytes the superblock holds")]
    [InlineData("truncated", "the superblock needs 512 bytes, only 100 are there")]
    [InlineData("short-hash-area", "the hash area is too small: 200 data blocks need 16384 bytes of hash device, only 16383 are there")]
    public async Task A_malformed_superblock_or_hash_area_is_our_typed_error_naming_the_file(string defect, string problem)
    {
        using var temp = new TempDirectory();
        var (data, hash, root) = Build(temp);
        var bytes = File.ReadAllBytes(hash);
        switch (defect)
        {
            case "magic": bytes[7] = 1; break;
            case "version": BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 2); break;
            case "hash-type": BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), 0); break;
            case "algorithm": Encoding.ASCII.GetBytes("sha1\0\0").CopyTo(bytes, 32); break;
            case "data-block-size": BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(64), 3000); break;
            case "hash-block-size": BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(68), 256); break;
            case "huge-block-size": BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(64), 1 << 20); break;
            case "zero-blocks": BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(72), 0); break;
            case "huge-blocks": BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(72), ulong.MaxValue); break;
            case "salt-size": BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(80), 257); break;
            case "truncated": bytes = bytes[..100]; break;
            case "short-hash-area": bytes = bytes[..^1]; break;
        }

        File.WriteAllBytes(hash, bytes);

        var error = await Assert.ThrowsAsync<VerityException>(() => VerifyFilesAsync(data, hash, root));

        Assert.Equal($"Verity data in '{hash}': {problem}.", error.Message);
        Assert.Equal(hash, error.Device);
    }

    [Fact]
    public async Task Data_blocks_past_the_end_of_the_data_are_our_typed_error_naming_the_data_file()
    {
        using var temp = new TempDirectory();
        var (data, hash, root) = Build(temp);
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..(150 * 4096)]);

        var error = await Assert.ThrowsAsync<VerityException>(() => VerifyFilesAsync(data, hash, root));

        Assert.Equal($"Verity data in '{data}': the superblock of '{hash}' declares 200 data blocks of 4096 bytes (819200 bytes), past the end of the data at 614400 bytes.", error.Message);
    }

    [Fact]
    public void Untrusted_algorithm_bytes_are_escaped_in_the_message()
    {
        var parameters = new VerityParameters(4096, 4096, ReadOnlyMemory<byte>.Empty, Guid.Empty);
        var bytes = new byte[VeritySuperblock.Size];
        new VeritySuperblock(parameters, 1).WriteTo(bytes);
        Encoding.ASCII.GetBytes("sh\u001b[31m\0").CopyTo(bytes, 32);

        var error = Assert.Throws<VerityException>(() => VeritySuperblock.Read(bytes, "dev"));

        Assert.DoesNotContain("\u001b", error.Message);
    }

    [Fact]
    public void The_superblock_round_trips()
    {
        var parameters = new VerityParameters(1024, 2048, new byte[] { 1, 2, 3, 4, 5 }, Guid.Parse(Veritysetup.Uuid));
        var superblock = new VeritySuperblock(parameters, 12345);
        var bytes = new byte[VeritySuperblock.Size];
        superblock.WriteTo(bytes);

        var read = VeritySuperblock.Read(bytes, "x");

        Assert.Equal(superblock.Parameters, read.Parameters);
        Assert.Equal(12345, read.DataBlocks);
        Assert.Equal("0f1e2d3c", Convert.ToHexStringLower(bytes.AsSpan(16, 4)));
    }

    private static (string Data, string Hash, byte[] Root) Build(TempDirectory temp)
    {
        var data = VerityHashTreeTests.RandomData(Blocks * 4096, 5);
        using var builder = new VerityHashTreeBuilder(new VerityParameters(4096, 4096, new byte[] { 0xab, 0xcd }, Guid.NewGuid()), data.Length);
        builder.Append(data);
        File.WriteAllBytes(temp["data"], data);
        File.WriteAllBytes(temp["hash"], builder.ToHashDevice());
        return (temp["data"], temp["hash"], builder.RootHash.ToArray());
    }

    private static async Task<VerityVerification> VerifyFilesAsync(string data, string hash, ReadOnlyMemory<byte> root)
    {
        await using var dataStream = File.OpenRead(data);
        await using var hashStream = File.OpenRead(hash);
        return await VerityVerifier.VerifyAsync(dataStream, data, hashStream, hash, root, TestContext.Current.CancellationToken);
    }
}
