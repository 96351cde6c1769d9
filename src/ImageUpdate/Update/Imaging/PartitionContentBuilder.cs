using System.Collections.Immutable;
using System.Text;
using ImageUpdate.Formats.Verity;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Processes;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// The partitions of a repart.d layout that build-image fills, as systemd-repart 262 fills them:
/// <list type="number">
/// <item><see cref="PrepareAsync"/>, before the layout is planned: makes each Format=erofs/squashfs file
/// system (<see cref="ReadOnlyFileSystemMaker"/>) and sizes what Minimize= asks for: the content rounded
/// up to 4096; a Verity=hash partition exactly its hash device over the data partition's (then fixed)
/// size; a Verity=signature partition repart's 16 KiB;</item>
/// <item><see cref="WriteAsync"/>, into the new image: each data partition's content then zeros to its
/// end, hashed block by block by <see cref="VerityHashTreeBuilder"/> as it is written (the data is read
/// once; the zeros are hashed, not written, so the image stays sparse), the hash device after it, the
/// data and hash partition UUIDs taken from the root hash (<see cref="RepartVerity"/>) unless UUID= set
/// them, and the signature partition's JSON signed with the build's key.</item>
/// </list>
/// The salt and superblock UUID derive from the seed, so the same inputs give the same bytes.
/// </summary>
public sealed class PartitionContentBuilder
{
    private const int ChunkSize = 1 << 20;

    private readonly IProcessRunner _runner;
    private readonly ILogger _logger;
    private readonly Dictionary<RepartPartition, PartitionContent> _contents = new(ReferenceEqualityComparer.Instance);

    public PartitionContentBuilder(IProcessRunner runner, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(logger);
        _runner = runner;
        _logger = logger;
    }

    /// <summary>The environment mkfs options are read from (<see cref="RepartMkfsOptions"/>); none by default.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>What each filled partition got, in definition order (after <see cref="WriteAsync"/>).</summary>
    public IReadOnlyList<PartitionContent> Contents => [.. _contents.Values];

    /// <summary>Whether the layout has any partition to fill.</summary>
    public static bool Needed(RepartLayout layout) => layout.Partitions.Any(p => p.HasContent);

    /// <summary>
    /// Makes the file systems into <paramref name="scratch"/> and returns the layout with the sizes
    /// Minimize= and the verity partitions fix. <paramref name="copySource"/> is where CopyFiles= sources
    /// are found; <paramref name="epoch"/> the time stamp of every file (seconds since 1970).
    /// </summary>
    public async Task<RepartLayout> PrepareAsync(RepartLayout layout, Guid seed, string? copySource, long epoch, string scratch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var sized = ImmutableArray.CreateBuilder<RepartPartition>(layout.Partitions.Length);
        var maker = new ReadOnlyFileSystemMaker(_runner, Environment);
        for (var i = 0; i < layout.Partitions.Length; i++)
        {
            var p = layout.Partitions[i];
            string? file = null;
            long size = 0;
            if (p.Format is RepartFormat.Erofs or RepartFormat.Squashfs)
            {
                if (copySource is null)
                {
                    throw new UsageException($"{UntrustedText.Escape(p.File)} has CopyFiles=; build-image needs --copy-source DIR, the tree its sources are found in.");
                }

                var instance = (ulong)layout.Partitions.Take(i).Count(o => o.Type == p.Type);
                var fileSystemUuid = RepartUuids.FileSystem(p.Uuid ?? RepartUuids.Partition(seed, p.Type, instance));
                file = Path.Combine(scratch, $"partition{i}.{p.Format.ToString().ToLowerInvariant()}");
                size = await maker.MakeAsync(p, copySource, fileSystemUuid, epoch, file, Path.Combine(scratch, $"tree{i}"), cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("Made the {Format} file system of {File}: {Size} bytes.", p.Format.ToString().ToLowerInvariant(), p.File, size);
            }
            else if (p.CopyBlocks is { } blocks)
            {
                file = blocks;
                size = File.Exists(blocks) ? new FileInfo(blocks).Length
                    : throw new DiskImageException($"{UntrustedText.Escape(p.File)}: CopyBlocks= file '{UntrustedText.Escape(blocks)}' does not exist.");
            }

            if (p.HasContent)
            {
                _contents[p] = new PartitionContent(p, file, size);
            }

            if (p.Minimize != RepartMinimize.Off && p.Verity != RepartVerityRole.Hash)
            {
                var minimal = Math.Max(RepartSize.RoundUp((ulong)size, RepartSize.Alignment), DiskLayoutPlanner.HardMinSize);
                p = p with { SizeMinBytes = minimal, SizeMaxBytes = minimal };
            }

            sized.Add(p);
        }

        // Hash and signature sizes follow from the (now known) data partitions.
        for (var i = 0; i < sized.Count; i++)
        {
            var p = sized[i];
            if (p.Verity == RepartVerityRole.Hash && p.Minimize != RepartMinimize.Off)
            {
                var data = DataOf(sized, p);
                if (data.SizeMinBytes is not { } min || data.SizeMaxBytes != min)
                {
                    throw new ConfigurationException(p.File, 0, "Minimize",
                        $"the hash partition can only be minimized when its data partition {UntrustedText.Escape(data.File)} has a fixed size (Minimize= or equal SizeMinBytes= and SizeMaxBytes=).");
                }

                var tree = VerityTreeLayout.For((long)min / DataBlockSize(p), HashBlockSize(p)).HashDeviceSize;
                var minimal = RepartSize.RoundUp((ulong)tree, RepartSize.Alignment);
                sized[i] = p with { SizeMinBytes = minimal, SizeMaxBytes = minimal };
            }
            else if (p.Verity == RepartVerityRole.Signature && p.SizeMinBytes is null && p.SizeMaxBytes is null)
            {
                sized[i] = p with { SizeMinBytes = RepartVerity.SignaturePartitionSize, SizeMaxBytes = RepartVerity.SignaturePartitionSize };
            }
        }

        // The sized definitions replace the read ones; keep the contents keyed by the new records.
        var result = new RepartLayout(layout.Directory, sized.ToImmutable());
        var rekeyed = new Dictionary<RepartPartition, PartitionContent>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < result.Partitions.Length; i++)
        {
            if (_contents.TryGetValue(layout.Partitions[i], out var content))
            {
                rekeyed[result.Partitions[i]] = content with { Definition = result.Partitions[i] };
            }
        }

        _contents.Clear();
        foreach (var (key, value) in rekeyed)
        {
            _contents[key] = value;
        }

        return result;
    }

    /// <summary>
    /// Writes every filled partition of <paramref name="layout"/> into <paramref name="image"/> (new and
    /// sparse) and returns the layout with the verity partitions' UUIDs. <paramref name="signingKey"/> signs
    /// Verity=signature partitions.
    /// </summary>
    public async Task<DiskLayout> WriteAsync(FileStream image, DiskLayout layout, VeritySigningKey? signingKey, Guid seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(layout);
        var partitions = layout.Partitions.ToBuilder();
        var byDefinition = new Dictionary<RepartPartition, PlannedPartition>(ReferenceEqualityComparer.Instance);
        foreach (var planned in partitions)
        {
            byDefinition[planned.Definition] = planned;
        }

        var rootHashes = new Dictionary<string, byte[]>(StringComparer.Ordinal);

        // Data first, then hash, then signature: each needs the one before it.
        foreach (var role in new[] { RepartVerityRole.Off, RepartVerityRole.Data, RepartVerityRole.Hash, RepartVerityRole.Signature })
        {
            for (var i = 0; i < partitions.Count; i++)
            {
                var planned = partitions[i];
                var p = planned.Definition;
                if (p.Verity != role || !_contents.TryGetValue(p, out var content))
                {
                    continue;
                }

                switch (role)
                {
                    case RepartVerityRole.Off:
                        await WriteDataAsync(image, planned, content, builder: null, cancellationToken).ConfigureAwait(false);
                        break;
                    case RepartVerityRole.Data:
                        var hashDefinition = layout.Partitions.Select(x => x.Definition).FirstOrDefault(x => x.Verity == RepartVerityRole.Hash && x.VerityMatchKey == p.VerityMatchKey);
                        if (hashDefinition is null)
                        {
                            await WriteDataAsync(image, planned, content, builder: null, cancellationToken).ConfigureAwait(false);
                            break;
                        }

                        var parameters = RepartVerity.Parameters(seed, DataBlockSize(hashDefinition), HashBlockSize(hashDefinition));
                        using (var builder = new VerityHashTreeBuilder(parameters, checked((long)planned.Size)))
                        {
                            await WriteDataAsync(image, planned, content, builder, cancellationToken).ConfigureAwait(false);
                            var rootHash = builder.Complete().ToArray();
                            rootHashes[p.VerityMatchKey!] = rootHash;
                            _contents[p] = content with { RootHash = rootHash };
                            partitions[i] = planned with { Uuid = p.Uuid ?? RepartVerity.DataPartitionUuid(rootHash) };
                            await WriteHashAsync(image, byDefinition[hashDefinition], builder, cancellationToken).ConfigureAwait(false);
                        }

                        break;
                    case RepartVerityRole.Hash:
                        var root = rootHashes[p.VerityMatchKey!];
                        _contents[p] = content with { RootHash = root };
                        partitions[i] = planned with { Uuid = p.Uuid ?? RepartVerity.HashPartitionUuid(root) };
                        break;
                    case RepartVerityRole.Signature:
                        var signed = rootHashes[p.VerityMatchKey!];
                        if (signingKey is null)
                        {
                            throw new UsageException($"{UntrustedText.Escape(p.File)} is a Verity=signature partition; build-image needs --private-key and --certificate to sign its root hash.");
                        }

                        var signature = VeritySignature.Create(signed, signingKey.Certificate, signingKey.PrivateKey);
                        if (planned.Size < RepartVerity.SignaturePartitionSize)
                        {
                            throw new DiskImageException($"{UntrustedText.Escape(p.File)}: the signature partition has {planned.Size} bytes, fewer than the {RepartVerity.SignaturePartitionSize} it needs.");
                        }

                        await RandomAccess.WriteAsync(image.SafeFileHandle, signature.ToPartition(), checked((long)planned.Offset), cancellationToken).ConfigureAwait(false);
                        _contents[p] = content with { RootHash = signed, SignatureJson = Encoding.UTF8.GetBytes(signature.ToJson()) };
                        _logger.LogInformation("Signed the root hash {RootHash} into {File}.", signature.RootHashHex, p.File);
                        break;
                }
            }
        }

        return layout with { Partitions = partitions.ToImmutable() };
    }

    private static RepartPartition DataOf(IEnumerable<RepartPartition> partitions, RepartPartition hash) =>
        partitions.First(x => x.Verity == RepartVerityRole.Data && x.VerityMatchKey == hash.VerityMatchKey);

    private static int DataBlockSize(RepartPartition hash) => hash.VerityDataBlockSize ?? VerityParameters.DefaultBlockSize;

    private static int HashBlockSize(RepartPartition hash) => hash.VerityHashBlockSize ?? VerityParameters.DefaultBlockSize;

    /// <summary>The content at the partition's start, then zeros to its end; all of it through <paramref name="builder"/> when given.</summary>
    private async Task WriteDataAsync(FileStream image, PlannedPartition partition, PartitionContent content, VerityHashTreeBuilder? builder, CancellationToken cancellationToken)
    {
        var p = partition.Definition;
        if ((ulong)content.ContentSize > partition.Size)
        {
            throw new DiskImageException($"{UntrustedText.Escape(p.File)}: the content is {content.ContentSize} bytes, more than the partition's {partition.Size}; raise SizeMaxBytes= or set Minimize=best.");
        }

        var buffer = new byte[ChunkSize];
        long done = 0;
        if (content.ContentFile is { } file)
        {
            using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
            while (done < content.ContentSize)
            {
                var read = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, content.ContentSize - done)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new DiskImageException($"{UntrustedText.Escape(p.File)}: '{UntrustedText.Escape(file)}' ended at {done} bytes while it was copied in.");
                }

                builder?.Append(buffer.AsSpan(0, read));

                // The image is new and sparse: a chunk of zeros is already there, as a hole.
                if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
                {
                    await RandomAccess.WriteAsync(image.SafeFileHandle, buffer.AsMemory(0, read), checked((long)partition.Offset + done), cancellationToken).ConfigureAwait(false);
                }

                done += read;
            }
        }

        if (builder is not null)
        {
            // The rest of the partition is zeros on the disk and in the tree: hashed, not written.
            Array.Clear(buffer);
            var remaining = (long)partition.Size - done;
            while (remaining > 0)
            {
                var take = (int)Math.Min(buffer.Length, remaining);
                builder.Append(buffer.AsSpan(0, take));
                remaining -= take;
            }
        }

        _logger.LogInformation("Wrote {Size} bytes of content into partition {Number} ({File}).", content.ContentSize, partition.Number, p.File);
    }

    private async Task WriteHashAsync(FileStream image, PlannedPartition hash, VerityHashTreeBuilder builder, CancellationToken cancellationToken)
    {
        var size = builder.Layout.HashDeviceSize;
        if ((ulong)size > hash.Size)
        {
            throw new DiskImageException($"{UntrustedText.Escape(hash.Definition.File)}: the hash tree takes {size} bytes, more than the partition's {hash.Size}; set Minimize=best or raise SizeMinBytes=.");
        }

        image.Position = checked((long)hash.Offset);
        await builder.WriteHashDeviceAsync(image, cancellationToken).ConfigureAwait(false);
        await image.FlushAsync(cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Wrote the {Size}-byte verity hash device into partition {Number} ({File}), root hash {RootHash}.",
            size, hash.Number, hash.Definition.File, Convert.ToHexStringLower(builder.RootHash.Span));
    }
}
