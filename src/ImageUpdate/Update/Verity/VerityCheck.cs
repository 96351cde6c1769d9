using ImageUpdate.Formats.Verity;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Update.Verity;

/// <summary>
/// The check a version's verity partitions pass before any of them becomes pending: what the kernel
/// and systemd will check at boot, done first, so that nothing that would fail dm-verity is made
/// bootable.
/// <list type="number">
/// <item>The signed statements of the root hash are gathered: the <c>*-verity-sig</c> partition's
/// JSON, whose PKCS#7 signature must verify with a certificate the host trusts (<see cref="VerityTrust"/>),
/// and every <c>roothash=</c>/<c>usrhash=</c> on the command line of the version's UKIs. They must
/// agree. Without any (no signature partition, no such key in a UKI) nothing at boot ties dm-verity
/// to a trusted root hash, and the result is null: not checked.</item>
/// <item>The partition UUIDs the data and hash partitions carry when pending (the source's @u or
/// PartitionUUID=, or else the slot's own, which 262 leaves as it is) must be the ones that root hash
/// derives (its first and last 16 bytes): systemd finds the pair by them.</item>
/// <item>The hash partition's superblock gives salt, block sizes and the data size; the data
/// partition is read once, sequentially, through <see cref="VerityHashTreeBuilder"/>; the tree must
/// equal the hash partition's and the root hash the signed one.</item>
/// </list>
/// Cheap checks come first, so a bad signature costs no read of the data. A malformed superblock,
/// signature partition or UKI is a <see cref="VerityException"/>; anything that does not match is a
/// <see cref="VerificationException"/>. Both name the partition or file.
/// </summary>
public static class VerityCheck
{
    public static async Task<VerityVerification?> CheckAsync(VerityCheckInput input, VerityTrust trust, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(trust);
        var statements = new List<(string Where, byte[] RootHash)>();
        if (input.Signature is { } signaturePart)
        {
            var signature = await ReadSignatureAsync(signaturePart, cancellationToken).ConfigureAwait(false);
            trust.Verify(signature, signaturePart.Name);
            statements.Add(($"the signature partition '{UntrustedText.Escape(signaturePart.Name)}'", signature.RootHash.ToArray()));
        }

        var key = input.Group.CommandLineKey;
        foreach (var entry in input.BootEntries)
        {
            var stream = await entry.Open(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                foreach (var line in await UkiCommandLine.ReadAsync(stream, entry.Name, cancellationToken).ConfigureAwait(false))
                {
                    foreach (var value in UkiCommandLine.Values(line, key))
                    {
                        statements.Add(($"{key}= in '{UntrustedText.Escape(entry.Name)}'", ParseRootHash(value, key, entry.Name)));
                    }
                }
            }
        }

        if (statements.Count == 0)
        {
            // Nothing at boot holds dm-verity to a trusted root hash either: no signature partition and
            // no roothash=/usrhash= in the version's UKIs (TEST-72's random "UKIs", images that set up
            // verity otherwise). There is nothing signed to compare with.
            return null;
        }

        var (firstWhere, expected) = statements[0];
        foreach (var (where, rootHash) in statements.Skip(1))
        {
            if (!rootHash.AsSpan().SequenceEqual(expected))
            {
                throw new VerificationException(
                    $"Verity root hash {Convert.ToHexStringLower(rootHash)} of {where} is not the {Convert.ToHexStringLower(expected)} of {firstWhere}.");
            }
        }

        CheckUuid(input.Data, RepartVerity.DataPartitionUuid(expected), "data", expected);
        CheckUuid(input.Hash, RepartVerity.HashPartitionUuid(expected), "hash", expected);

        var data = await input.Data.Open(cancellationToken).ConfigureAwait(false);
        await using (data.ConfigureAwait(false))
        {
            var hash = await input.Hash.Open(cancellationToken).ConfigureAwait(false);
            await using (hash.ConfigureAwait(false))
            {
                return await VerityVerifier.VerifyAsync(data, input.Data.Name, hash, input.Hash.Name, expected, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<VeritySignature> ReadSignatureAsync(VerityPart part, CancellationToken cancellationToken)
    {
        var stream = await part.Open(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            // The JSON and its NUL padding; a longer slot's rest is not read (VeritySignature refuses more).
            var content = new byte[VeritySignature.MaximumSize];
            var read = await stream.ReadAtLeastAsync(content, content.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            return VeritySignature.Read(content.AsSpan(0, read), part.Name);
        }
    }

    private static byte[] ParseRootHash(string value, string key, string source)
    {
        if (value.Length != 2 * VerityTreeLayout.DigestSize || !value.All(Uri.IsHexDigit))
        {
            throw new VerityException(source, $"{key}={UntrustedText.Escape(value.Length > 80 ? value[..80] + "..." : value)} on the command line is not a sha256 root hash");
        }

        return Convert.FromHexString(value);
    }

    private static void CheckUuid(VerityPart part, Guid derived, string role, byte[] rootHash)
    {
        if (part.PartitionUuid is { } uuid && uuid != derived)
        {
            throw new VerificationException(
                $"Partition UUID {uuid} of verity {role} '{UntrustedText.Escape(part.Name)}' is not {derived}, the one root hash {Convert.ToHexStringLower(rootHash)} gives it.");
        }
    }
}
