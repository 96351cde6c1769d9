using System.Security.Cryptography;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Tests.Formats.Verity;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Update.Verity;

/// <summary>
/// One version's verity payloads as systemd-repart makes them (our builder, repart's derivations):
/// random data, its hash device (seed-derived salt), the signature JSON made with a key from openssl,
/// the data and hash partition UUIDs from the root hash, and a UKI whose command line names it.
/// </summary>
internal sealed class VerityPayloads
{
    private VerityPayloads(byte[] data, byte[] hash, byte[] rootHash, byte[] signature, byte[] uki)
    {
        Data = data;
        Hash = hash;
        RootHash = rootHash;
        Signature = signature;
        Uki = uki;
    }

    public byte[] Data { get; }

    public byte[] Hash { get; }

    public byte[] RootHash { get; }

    public string RootHashHex => Convert.ToHexStringLower(RootHash);

    /// <summary>The split signature file: the JSON without padding.</summary>
    public byte[] Signature { get; }

    public byte[] Uki { get; }

    public Guid DataUuid => RepartVerity.DataPartitionUuid(RootHash);

    public Guid HashUuid => RepartVerity.HashPartitionUuid(RootHash);

    public static VerityPayloads Create(VeritySigningKey signer, int dataBlocks = 37, string commandLineKey = "usrhash", byte[]? signedRootHash = null)
    {
        var data = RandomNumberGenerator.GetBytes(dataBlocks * 4096);
        using var builder = new VerityHashTreeBuilder(RepartVerity.Parameters(Guid.NewGuid()), data.Length);
        builder.Append(data);
        var rootHash = builder.Complete().ToArray();
        var signature = VeritySignature.Create(signedRootHash ?? rootHash, signer.Certificate, signer.PrivateKey);
        var uki = TestUki.Create($"console=ttyS0 {commandLineKey}={Convert.ToHexStringLower(rootHash)} ro");
        return new VerityPayloads(data, builder.ToHashDevice(), rootHash, System.Text.Encoding.UTF8.GetBytes(signature.ToJson()), uki);
    }

    /// <summary>The same, with the hash device and root hash made by <c>veritysetup format</c> (cryptsetup) from data written to <paramref name="temp"/>.</summary>
    public static VerityPayloads CreateWithVeritysetup(TempDirectory temp, VeritySigningKey signer, int dataBlocks = 200)
    {
        Veritysetup.Require();
        var data = RandomNumberGenerator.GetBytes(dataBlocks * 4096);
        var name = Guid.NewGuid().ToString("N");
        File.WriteAllBytes(temp[name + ".data"], data);
        var rootHashHex = Veritysetup.Format(temp[name + ".data"], temp[name + ".hash"], 4096, 4096, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        var rootHash = Convert.FromHexString(rootHashHex);
        var signature = VeritySignature.Create(rootHash, signer.Certificate, signer.PrivateKey);
        var uki = TestUki.Create($"console=ttyS0 usrhash={rootHashHex} ro");
        return new VerityPayloads(data, File.ReadAllBytes(temp[name + ".hash"]), rootHash, System.Text.Encoding.UTF8.GetBytes(signature.ToJson()), uki);
    }

    public static (VeritySigningKey Trusted, VeritySigningKey Untrusted, string TrustedCertificate) Keys(TempDirectory temp)
    {
        var trusted = VerityTestKeys.Create(temp, "trusted");
        var untrusted = VerityTestKeys.Create(temp, "untrusted");
        return (VerityTestKeys.Load(trusted), VerityTestKeys.Load(untrusted), trusted.Certificate);
    }
}
