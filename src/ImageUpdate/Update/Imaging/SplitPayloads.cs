using System.Security.Cryptography;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Platform.FileSystem;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// `build-image --split DIR`: each partition build-image filled, written as a file named so that
/// `publish` (and the first install of the image) takes it as it comes. The name is the first source
/// MatchPattern of the transfer whose partition target has the partition's type (MatchPartitionType=),
/// formatted with the version and the partition's own values (@u its UUID, @f/@a/@g/@r its attribute
/// bits, @s the payload's size, @h its SHA-256); a partition no transfer installs gets repart's --split
/// name instead: the image's name without ".raw", ".", SplitName= (default the type's name), ".raw".
/// SplitName=- leaves a partition out. A data or hash partition's payload is the whole partition (what
/// the hash tree covers); a signature partition's is its JSON alone, as repart splits it (partition
/// targets zero the rest of a *-verity-sig slot).
/// </summary>
public static class SplitPayloads
{
    private const int CopyChunk = 1 << 20;

    /// <summary>Writes the payloads of <paramref name="contents"/> from <paramref name="image"/> into <paramref name="directory"/>; returns their paths.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(
        string image,
        DiskLayout layout,
        IReadOnlyList<PartitionContent> contents,
        IReadOnlyList<TransferDefinition> transfers,
        string version,
        string imageName,
        string directory,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(contents);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var input = new FileStream(image, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
        foreach (var content in contents)
        {
            var p = content.Definition;
            if (p.SplitName == "-")
            {
                continue;
            }

            var planned = layout.Partitions.First(x => ReferenceEquals(x.Definition, p));
            var length = content.SignatureJson is { } json ? json.Length : checked((long)planned.Size);
            var temporary = Path.Combine(directory, $".#split-{planned.Number}-{Guid.NewGuid():N}");
            try
            {
                using (var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1, useAsync: true))
                {
                    if (content.SignatureJson is { } signature)
                    {
                        await output.WriteAsync(signature, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await CopyRangeAsync(input, output, (long)planned.Offset, length, cancellationToken).ConfigureAwait(false);
                    }

                    output.Flush(flushToDisk: true);
                }

                var name = NameFor(planned, transfers, version, imageName, length, temporary);
                if (!names.Add(name))
                {
                    throw new DiskImageException($"{UntrustedText.Escape(p.File)}: its split payload name '{UntrustedText.Escape(name)}' is already used by another partition; set SplitName= or tell the transfers apart.");
                }

                var final = Path.Combine(directory, name);
                AtomicRename.Rename(temporary, final, replace: true);
                written.Add(final);
                logger.LogInformation("Split partition {Number} ({File}) out as {Payload} ({Size} bytes).", planned.Number, p.File, final, length);
            }
            finally
            {
                File.Delete(temporary);
            }
        }

        Durability.FsyncDirectory(directory);
        return written;
    }

    /// <summary>The payload name for <paramref name="partition"/>: its transfer's source pattern, else repart's split name.</summary>
    public static string NameFor(PlannedPartition partition, IReadOnlyList<TransferDefinition> transfers, string version, string imageName, long size, string payload)
    {
        ArgumentNullException.ThrowIfNull(partition);
        var transfer = transfers.FirstOrDefault(t => t.Target.Type == ResourceType.Partition && t.Target.MatchPartitionType == partition.Type);
        if (transfer is null)
        {
            return RepartSplitName(partition, imageName);
        }

        var pattern = transfer.Source.Patterns.First;
        var unknown = pattern.Wildcards.Where(w => w is not ('v' or 'u' or 'f' or 'a' or 'g' or 'r' or 's' or 'h')).Distinct().ToList();
        if (unknown.Count > 0 || pattern.HasSlash || pattern.AnyDepth)
        {
            throw new DiskImageException(
                $"Transfer {UntrustedText.Escape(transfer.Id)}: source pattern '{UntrustedText.Escape(pattern.Text)}' has {(unknown.Count > 0 ? string.Join(", ", unknown.Select(w => "@" + w)) + ", which a built partition has no value for" : "a directory part, which a split payload cannot have")}.");
        }

        var attributes = partition.Attributes;
        var metadata = new InstanceMetadata
        {
            Version = version,
            PartitionUuid = partition.Uuid,
            PartitionFlags = attributes,
            NoAuto = PartitionAttributes.Has(attributes, PartitionAttributes.NoAuto),
            GrowFileSystem = PartitionAttributes.Has(attributes, PartitionAttributes.GrowFileSystem),
            ReadOnly = PartitionAttributes.Has(attributes, PartitionAttributes.ReadOnly),
            Size = (ulong)size,
            Sha256 = pattern.HasWildcard('h') ? Sha256Of(payload) : null,
        };
        try
        {
            return pattern.Format(metadata);
        }
        catch (PatternException e)
        {
            throw new DiskImageException($"Transfer {UntrustedText.Escape(transfer.Id)}: {e.Message}", e);
        }
    }

    /// <summary>systemd-repart's --split name: IMAGE (without ".raw") "." SPLITNAME, then ".raw" when the image had it.</summary>
    public static string RepartSplitName(PlannedPartition partition, string imageName)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(imageName);
        var template = partition.Definition.SplitName ?? "%t";
        var typeName = PartitionType.NameOf(partition.Type) ?? PartitionType.Format(partition.Type);
        var split = new System.Text.StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '%' && i + 1 < template.Length)
            {
                split.Append(template[++i] switch { 't' => typeName, 'T' => partition.Type.ToString(), _ => "%" });
            }
            else
            {
                split.Append(template[i]);
            }
        }

        return imageName.EndsWith(".raw", StringComparison.Ordinal)
            ? $"{imageName[..^4]}.{split}.raw"
            : $"{imageName}.{split}";
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static async Task CopyRangeAsync(FileStream input, FileStream output, long offset, long length, CancellationToken cancellationToken)
    {
        var buffer = new byte[CopyChunk];
        long done = 0;
        while (done < length)
        {
            var read = await RandomAccess.ReadAsync(input.SafeFileHandle, buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - done)), offset + done, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new DiskImageException($"The image ended at byte {offset + done} while partition bytes were split out.");
            }

            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            done += read;
        }
    }
}
