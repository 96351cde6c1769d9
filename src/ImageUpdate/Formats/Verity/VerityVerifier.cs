using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Formats.Verity;

/// <summary>
/// Checks an existing dm-verity pair the way the kernel will use it at boot: parses the hash device's
/// superblock, recomputes the whole tree from the data blocks it declares, requires the hash area to
/// hold exactly those hash blocks, and (when one is given) the root hash to be the expected one.
/// A malformed or short device is a <see cref="VerityException"/>; data or hashes that do not match
/// are a <see cref="VerificationException"/>. Both name the file.
/// </summary>
public static class VerityVerifier
{
    private const int ReadBufferSize = 1024 * 1024;

    /// <summary>Reads only the superblock of a hash device (from its current position).</summary>
    public static async Task<VeritySuperblock> ReadSuperblockAsync(Stream hashDevice, string hashSource, CancellationToken cancellationToken)
    {
        var head = new byte[VeritySuperblock.Size];
        var read = await hashDevice.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return VeritySuperblock.Read(head.AsSpan(0, read), hashSource);
    }

    /// <summary>
    /// Verifies <paramref name="data"/> against <paramref name="hashDevice"/> (both read from their
    /// current positions). <paramref name="expectedRootHash"/>, when not empty, must equal the recomputed root hash.
    /// </summary>
    public static async Task<VerityVerification> VerifyAsync(
        Stream data,
        string dataSource,
        Stream hashDevice,
        string hashSource,
        ReadOnlyMemory<byte> expectedRootHash,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(hashDevice);
        var superblock = await ReadSuperblockAsync(hashDevice, hashSource, cancellationToken).ConfigureAwait(false);
        var parameters = superblock.Parameters;
        using var builder = new VerityHashTreeBuilder(parameters, superblock.DataSize);

        // The rest of the superblock's hash block, then the tree: both must be there in full.
        var skip = builder.Layout.TreeOffset - VeritySuperblock.Size;
        var padding = new byte[skip];
        var stored = new byte[builder.Tree.Length];
        var storedRead = await hashDevice.ReadAtLeastAsync(padding, padding.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (storedRead == padding.Length)
        {
            storedRead += await hashDevice.ReadAtLeastAsync(stored, stored.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }

        if (storedRead < skip + stored.Length)
        {
            throw new VerityException(hashSource, $"the hash area is too small: {superblock.DataBlocks} data blocks need {builder.Layout.HashDeviceSize} bytes of hash device, only {VeritySuperblock.Size + storedRead} are there");
        }

        var buffer = new byte[(int)Math.Min(ReadBufferSize, superblock.DataSize)];
        var remaining = superblock.DataSize;
        while (remaining > 0)
        {
            var want = (int)Math.Min(buffer.Length, remaining);
            var got = await data.ReadAtLeastAsync(buffer.AsMemory(0, want), want, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            builder.Append(buffer.AsSpan(0, got));
            remaining -= got;
            if (got < want)
            {
                throw new VerityException(dataSource, $"the superblock of '{UntrustedText.Escape(hashSource)}' declares {superblock.DataBlocks} data blocks of {parameters.DataBlockSize} bytes ({superblock.DataSize} bytes), past the end of the data at {superblock.DataSize - remaining} bytes");
            }
        }

        var rootHash = builder.Complete();
        var computed = builder.Tree.Span;
        var mismatch = computed.CommonPrefixLength(stored);
        if (mismatch < computed.Length)
        {
            var block = mismatch / parameters.HashBlockSize;
            throw new VerificationException(
                $"Verity hash tree in '{UntrustedText.Escape(hashSource)}' does not match the data in '{UntrustedText.Escape(dataSource)}' (first difference in hash block {block + 1} of the device).");
        }

        if (!expectedRootHash.IsEmpty && !expectedRootHash.Span.SequenceEqual(rootHash.Span))
        {
            throw new VerificationException(
                $"Verity root hash of '{UntrustedText.Escape(dataSource)}' is {Convert.ToHexStringLower(rootHash.Span)}, not the expected {Convert.ToHexStringLower(expectedRootHash.Span)}.");
        }

        return new VerityVerification(superblock, rootHash.ToArray());
    }
}
