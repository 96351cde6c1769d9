using System.Text;
using ImageUpdate.Formats.Verification.Signing;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Formats.Verity;

public sealed class VeritySignatureTests
{
    private static readonly byte[] RootHash = Convert.FromHexString("1e87e31b26c76c272d1269bc28f7923b85d58d9ca62be141ac7383be7c244242");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Openssl_cms_verifies_the_detached_signature_over_the_hex_root_hash(bool ec)
    {
        using var temp = new TempDirectory();
        var files = VerityTestKeys.Create(temp, "signer", ec);
        var signature = VeritySignature.Create(RootHash, VerityTestKeys.Load(files).Certificate, VerityTestKeys.Load(files).PrivateKey);
        File.WriteAllBytes(temp["sig.der"], signature.Signature.ToArray());
        File.WriteAllText(temp["roothash"], Convert.ToHexStringLower(RootHash));

        var result = TestProcess.Run("openssl", ["cms", "-verify", "-binary", "-content", temp["roothash"], "-inform", "DER", "-in", temp["sig.der"], "-CAfile", files.Certificate, "-purpose", "any", "-out", "/dev/null"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var printed = TestProcess.RunChecked("openssl", ["cms", "-cmsout", "-print", "-inform", "DER", "-in", temp["sig.der"]]);
        Assert.Contains("eContent: <ABSENT>", printed);   // detached
        Assert.Contains("signedAttrs:\n          <ABSENT>", printed);   // PKCS7_NOATTR
        Assert.Contains("CN=signer", printed);   // the signer's certificate is included
    }

    [Fact]
    public void The_json_is_compact_with_repart_key_order_and_the_partition_nul_padded()
    {
        var signature = new VeritySignature(RootHash, new byte[32], new byte[] { 1, 2, 3 });

        Assert.Equal("{\"rootHash\":\"1e87e31b26c76c272d1269bc28f7923b85d58d9ca62be141ac7383be7c244242\",\"certificateFingerprint\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"signature\":\"AQID\"}", signature.ToJson());
        var partition = signature.ToPartition();
        Assert.Equal(16384, partition.Length);
        Assert.Equal(signature.ToJson(), Encoding.UTF8.GetString(partition).TrimEnd('\0'));
        Assert.Equal(signature, VeritySignature.Read(partition, "p"));
        Assert.Equal(signature, VeritySignature.Read(Encoding.UTF8.GetBytes(signature.ToJson()), "split file"));
        Assert.Throws<ArgumentException>(() => signature.ToPartition(signature.ToJson().Length));
    }

    [Fact]
    public void The_signature_verifies_with_the_signers_certificate_and_not_with_another()
    {
        using var temp = new TempDirectory();
        var signer = VerityTestKeys.Load(VerityTestKeys.Create(temp, "signer"));
        var other = VerityTestKeys.Load(VerityTestKeys.Create(temp, "other"));
        var signature = VeritySignature.Read(VeritySignature.Create(RootHash, signer.Certificate, signer.PrivateKey).ToPartition(), "sig");

        signature.Verify(signer.Certificate, "sig");
        Assert.Equal(VeritySignature.Fingerprint(signer.Certificate), signature.CertificateFingerprint.ToArray());

        var wrongCertificate = Assert.Throws<VerificationException>(() => signature.Verify(other.Certificate, "sig"));
        Assert.StartsWith("Verity signature in 'sig' was made with the certificate ", wrongCertificate.Message);

        var unnamed = signature with { };
        var withoutFingerprint = new VeritySignature(signature.RootHash, ReadOnlyMemory<byte>.Empty, signature.Signature);
        var noSigner = Assert.Throws<VerificationException>(() => withoutFingerprint.Verify(other.Certificate, "sig"));
        Assert.StartsWith("Verity signature in 'sig' has no signer with the trusted certificate ", noSigner.Message);
        Assert.Equal(signature, unnamed);
    }

    [Fact]
    public void A_signature_over_another_root_hash_does_not_verify()
    {
        using var temp = new TempDirectory();
        var signer = VerityTestKeys.Load(VerityTestKeys.Create(temp, "signer"));
        var signature = VeritySignature.Create(RootHash, signer.Certificate, signer.PrivateKey);
        var otherRoot = (byte[])RootHash.Clone();
        otherRoot[31] ^= 1;
        var swapped = new VeritySignature(otherRoot, signature.CertificateFingerprint, signature.Signature);

        var error = Assert.Throws<VerificationException>(() => swapped.Verify(signer.Certificate, "sig"));

        Assert.Equal($"Verity signature in 'sig' does not verify: the signature over root hash {Convert.ToHexStringLower(otherRoot)} is wrong.", error.Message);
    }

    // One row per malformed signature partition.
    [Theory]
    [InlineData("", "the signature partition is empty")]
    [InlineData("\0\0\0", "the signature partition is empty")]
    [InlineData("{\"rootHash\":\"00\"", "the signature is not valid JSON (")]
    [InlineData("[1]", "the signature JSON is a array, not an object")]
    [InlineData("{\"signature\":\"AQID\"}", "the signature JSON has no rootHash")]
    [InlineData("{\"rootHash\":7,\"signature\":\"AQID\"}", "rootHash is a number, not a string")]
    [InlineData("{\"rootHash\":\"xyz\",\"signature\":\"AQID\"}", "rootHash 'xyz' is not hex")]
    [InlineData("{\"rootHash\":\"0011\",\"signature\":\"AQID\"}", "rootHash has 2 bytes, not the 32 of a sha256 root hash")]
    [InlineData("{\"rootHash\":\"R\",\"certificateFingerprint\":\"00\",\"signature\":\"AQID\"}", "certificateFingerprint has 1 bytes, not the 32 of a SHA-256 fingerprint")]
    [InlineData("{\"rootHash\":\"R\"}", "the signature JSON has no signature")]
    [InlineData("{\"rootHash\":\"R\",\"signature\":\"***\"}", "signature is not base64")]
    [InlineData("{\"rootHash\":\"R\",\"signature\":\"\"}", "signature is empty")]
    [InlineData("{\"rootHash\":\"R\",\"signature\":\"AQID\"}\0\0x", "bytes other than NUL follow the signature JSON at offset 98")]
    [InlineData("{\"rootHash\":\"R\",\"signature\":\"AQID\"}", "the signature is not a PKCS#7 signedData (")]
    public void A_malformed_signature_partition_is_our_typed_error_naming_the_file(string content, string problem)
    {
        var bytes = Encoding.UTF8.GetBytes(content.Replace("\"R\"", $"\"{Convert.ToHexStringLower(RootHash)}\"", StringComparison.Ordinal));
        using var temp = new TempDirectory();
        var signer = problem.StartsWith("the signature is not a PKCS#7", StringComparison.Ordinal)
            ? VerityTestKeys.Load(VerityTestKeys.Create(temp, "signer"))
            : null;

        var error = Assert.Throws<VerityException>(() =>
        {
            var signature = VeritySignature.Read(bytes, "/dev/sda3");
            signature.Verify(signer!.Certificate, "/dev/sda3");
        });

        Assert.StartsWith($"Verity data in '/dev/sda3': {problem}", error.Message);
    }

    [Fact]
    public void A_key_that_is_not_the_certificates_is_refused()
    {
        using var temp = new TempDirectory();
        var a = VerityTestKeys.Create(temp, "a");
        var b = VerityTestKeys.Create(temp, "b");

        var error = Assert.Throws<SigningKeyException>(() => VeritySigningKey.FromPem(File.ReadAllText(a.Key), a.Key, File.ReadAllText(b.Certificate), b.Certificate));
        Assert.Equal($"The key in '{a.Key}' is not the key of the certificate in '{b.Certificate}'.", error.Message);

        var notPem = Assert.Throws<SigningKeyException>(() => VeritySigningKey.FromPem("hello", "k", File.ReadAllText(a.Certificate), a.Certificate));
        Assert.Equal("'k' holds no unencrypted PEM private key.", notPem.Message);
        Assert.Throws<SigningKeyException>(() => VeritySigningKey.ReadCertificate(File.ReadAllText(a.Key), a.Key));
    }
}
