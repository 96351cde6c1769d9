using ImageUpdate.Formats.Verity;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Verity;

namespace ImageUpdate.Tests.Update.Verity;

public sealed class VerityCheckTests : IDisposable
{
    private static readonly VerityGroup Group = new("usr-x86-64", "usrhash", "12-usr", "11-usr-verity", "10-usr-verity-sig", ["20-uki"]);

    private readonly TempDirectory _temp = new();
    private readonly VeritySigningKey _trusted;
    private readonly VeritySigningKey _untrusted;
    private readonly VerityTrust _trust;

    public VerityCheckTests()
    {
        (_trusted, _untrusted, _) = VerityPayloads.Keys(_temp);
        _trust = new VerityTrust([_trusted.Certificate], "/etc/verity.d");
    }

    public void Dispose() => _temp.Dispose();

    private static VerityPart Part(string name, byte[] bytes, Guid? uuid = null) =>
        new(name, uuid, _ => Task.FromResult<Stream>(new MemoryStream(bytes, writable: false)));

    private static VerityCheckInput Input(VerityPayloads p, byte[]? data = null, byte[]? hash = null, byte[]? signature = null, byte[]? uki = null, bool withSignature = true, bool withUki = true, bool uuids = true) =>
        new(
            Group,
            Part("disk.raw5", data ?? p.Data, uuids ? p.DataUuid : null),
            Part("disk.raw3", hash ?? p.Hash, uuids ? p.HashUuid : null),
            withSignature ? Part("disk.raw1", signature ?? p.Signature) : null,
            withUki ? [Part("/efi/EFI/Linux/os_2.efi", uki ?? p.Uki)] : []);

    [Fact]
    public async Task A_version_whose_data_hash_signature_and_UKI_agree_passes_with_its_root_hash()
    {
        var p = VerityPayloads.Create(_trusted);

        var result = await VerityCheck.CheckAsync(Input(p), _trust, TestContext.Current.CancellationToken);

        Assert.NotNull(result);
        Assert.Equal(p.RootHashHex, result.RootHashHex);
        Assert.Equal(37, result.Superblock.DataBlocks);
    }

    [Fact]
    public async Task Data_corrupted_in_one_block_fails_the_tree()
    {
        var p = VerityPayloads.Create(_trusted);
        var data = p.Data.ToArray();
        data[(20 * 4096) + 17] ^= 0x40;

        var error = await Assert.ThrowsAsync<VerificationException>(() => VerityCheck.CheckAsync(Input(p, data: data), _trust, TestContext.Current.CancellationToken));

        Assert.Equal("Verity hash tree in 'disk.raw3' does not match the data in 'disk.raw5' (first difference in hash block 1 of the device).", error.Message);
    }

    [Fact]
    public async Task A_corrupted_hash_tree_fails_and_a_corrupted_superblock_is_malformed()
    {
        var p = VerityPayloads.Create(_trusted);
        var hash = p.Hash.ToArray();
        hash[4096 + 100] ^= 1;
        var superblock = p.Hash.ToArray();
        superblock[0] = (byte)'X';

        var tree = await Assert.ThrowsAsync<VerificationException>(() => VerityCheck.CheckAsync(Input(p, hash: hash), _trust, TestContext.Current.CancellationToken));
        var malformed = await Assert.ThrowsAsync<VerityException>(() => VerityCheck.CheckAsync(Input(p, hash: superblock), _trust, TestContext.Current.CancellationToken));

        Assert.StartsWith("Verity hash tree in 'disk.raw3' does not match the data in 'disk.raw5'", tree.Message, StringComparison.Ordinal);
        Assert.StartsWith("Verity data in 'disk.raw3': no verity superblock (magic is 58", malformed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signature_by_a_certificate_the_host_does_not_trust_fails()
    {
        var p = VerityPayloads.Create(_untrusted);
        var fingerprint = Convert.ToHexStringLower(VeritySignature.Fingerprint(_untrusted.Certificate));

        var error = await Assert.ThrowsAsync<VerificationException>(() => VerityCheck.CheckAsync(Input(p), _trust, TestContext.Current.CancellationToken));

        Assert.Equal($"Verity signature in 'disk.raw1' was made with the certificate {fingerprint}, which this host does not trust (the certificates in /etc/verity.d).", error.Message);
    }

    [Fact]
    public async Task A_host_without_verity_certificates_cannot_accept_a_signature()
    {
        var p = VerityPayloads.Create(_trusted);

        var error = await Assert.ThrowsAsync<VerificationException>(() => VerityCheck.CheckAsync(Input(p), new VerityTrust([], "/etc/verity.d, /usr/lib/verity.d"), TestContext.Current.CancellationToken));

        Assert.Equal("Verity signature in 'disk.raw1' cannot be checked: this host trusts no verity certificate (no *.crt in /etc/verity.d, /usr/lib/verity.d).", error.Message);
    }

    [Fact]
    public async Task A_signed_root_hash_that_is_not_the_one_the_partition_UUIDs_derive_from_fails()
    {
        // The signature is good, but over another root hash than the @u of the partitions says.
        var other = new byte[32];
        other[0] = 0xAB;
        var p = VerityPayloads.Create(_trusted, signedRootHash: other);

        var error = await Assert.ThrowsAsync<VerificationException>(() => VerityCheck.CheckAsync(Input(p, withUki: false), _trust, TestContext.Current.CancellationToken));

        Assert.Equal($"Partition UUID {p.DataUuid} of verity data 'disk.raw5' is not {RepartVerity.DataPartitionUuid(other)}, the one root hash {Convert.ToHexStringLower(other)} gives it.", error.Message);
    }

    [Fact]
    public async Task A_signed_root_hash_that_the_data_does_not_have_fails_after_the_read()
    {
        var other = new byte[32];
        other[0] = 0xAB;
        var p = VerityPayloads.Create(_trusted, signedRootHash: other);

        var error = await Assert.ThrowsAsync<VerificationException>(() => VerityCheck.CheckAsync(Input(p, withUki: false, uuids: false), _trust, TestContext.Current.CancellationToken));

        Assert.Equal($"Verity root hash of 'disk.raw5' is {p.RootHashHex}, not the expected {Convert.ToHexStringLower(other)}.", error.Message);
    }

    [Fact]
    public async Task A_UKI_whose_command_line_names_another_root_hash_fails()
    {
        var p = VerityPayloads.Create(_trusted);
        var wrong = new string('0', 63) + "1";
        var uki = TestUki.Create($"quiet usrhash={wrong}");

        var withoutSignature = await Assert.ThrowsAsync<VerificationException>(() => VerityCheck.CheckAsync(Input(p, uki: uki, withSignature: false, uuids: false), _trust, TestContext.Current.CancellationToken));
        var besideSignature = await Assert.ThrowsAsync<VerificationException>(() => VerityCheck.CheckAsync(Input(p, uki: uki), _trust, TestContext.Current.CancellationToken));

        Assert.Equal($"Verity root hash of 'disk.raw5' is {p.RootHashHex}, not the expected {wrong}.", withoutSignature.Message);
        Assert.Equal($"Verity root hash {wrong} of usrhash= in '/efi/EFI/Linux/os_2.efi' is not the {p.RootHashHex} of the signature partition 'disk.raw1'.", besideSignature.Message);
    }

    [Fact]
    public async Task The_root_hash_of_the_UKI_alone_is_enough_and_a_malformed_one_is_refused()
    {
        var p = VerityPayloads.Create(_trusted);

        var result = await VerityCheck.CheckAsync(Input(p, withSignature: false), new VerityTrust([], ""), TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAsync<VerityException>(() => VerityCheck.CheckAsync(Input(p, uki: TestUki.Create("usrhash=xyz"), withSignature: false), _trust, TestContext.Current.CancellationToken));

        Assert.Equal(p.RootHashHex, result!.RootHashHex);
        Assert.Equal("Verity data in '/efi/EFI/Linux/os_2.efi': usrhash=xyz on the command line is not a sha256 root hash.", error.Message);
    }

    [Fact]
    public async Task Without_any_signed_root_hash_nothing_is_checked()
    {
        var p = VerityPayloads.Create(_trusted);

        var result = await VerityCheck.CheckAsync(Input(p, uki: "not a PE image"u8.ToArray(), withSignature: false), _trust, TestContext.Current.CancellationToken);

        Assert.Null(result);
    }

    [Fact]
    public async Task A_malformed_signature_partition_is_our_typed_error()
    {
        var p = VerityPayloads.Create(_trusted);

        var error = await Assert.ThrowsAsync<VerityException>(() => VerityCheck.CheckAsync(Input(p, signature: "{\"rootHash\":1}"u8.ToArray()), _trust, TestContext.Current.CancellationToken));

        Assert.Equal("Verity data in 'disk.raw1': rootHash is a number, not a string.", error.Message);
    }

    [Fact]
    public void Command_line_values_are_split_as_the_kernel_splits_them()
    {
        Assert.Equal(["a", "b"], UkiCommandLine.Values("usrhash=a quiet \"rd.usrhash=b\" roothash=c", "usrhash"));
        Assert.Equal(["c d"], UkiCommandLine.Values("roothash=\"c d\"", "roothash"));
        Assert.Empty(UkiCommandLine.Values("xusrhash=a", "usrhash"));
    }

    [Fact]
    public async Task Every_cmdline_section_of_a_multi_profile_UKI_is_read()
    {
        using var stream = new MemoryStream(TestUki.Create("one", "two"));

        Assert.Equal(["one", "two"], await UkiCommandLine.ReadAsync(stream, "uki", TestContext.Current.CancellationToken));
    }
}
