using System.Security.Cryptography;
using System.Text;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Platform.Processes;
using ImageUpdate.Update.Engine;
using Microsoft.Extensions.Logging;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// `build-image` as a flow: plan the layout from repart.d, write the disk (GPT, ESP, systemd-boot)
/// under a temporary name, install the version into it through the normal update path
/// (<see cref="PayloadInstall"/>), and only then rename it to the output, so the output path only ever
/// holds a whole image. One build of an output runs at a time (the output's update lock), and what a
/// killed build of it left beside it is removed first.
/// </summary>
public static class ImageBuild
{
    /// <returns>The path of the built image.</returns>
    public static async Task<string> RunAsync(ImageBuildOptions options, ILogger logger, IUpdateObserver? observer, CancellationToken cancellationToken)
    {
        if (options.Engine.DefinitionsDirectory is null)
        {
            throw new Foundation.Errors.UsageException("build-image needs --definitions DIR: the transfers that install the version into the image.");
        }

        if (options.Engine.Image is not null || options.Engine.IsRooted)
        {
            throw new Foundation.Errors.UsageException("build-image writes its own image (--output); --image and --root do not apply.");
        }

        var definitions = RepartDefinitions.Load(Path.GetFullPath(options.LayoutDirectory), logger, options.Version);
        var seed = options.Seed ?? SeedFor(options.Version);
        var signingKey = LoadSigningKey(options);
        if ((options.SecureBootKey is null) != (options.SecureBootCertificate is null))
        {
            throw new Foundation.Errors.UsageException("build-image needs --secure-boot-key and --secure-boot-certificate together.");
        }

        (string, string)? secureBoot = options.SecureBootKey is { } sbKey && options.SecureBootCertificate is { } sbCertificate ? (sbKey, sbCertificate) : null;

        // Built and filled under a temporary name: the output path only ever holds a whole image.
        var output = Path.GetFullPath(options.Output);
        var directory = Path.GetDirectoryName(output)!;
        var building = BuildingName(output);

        // One build of an output at a time; what a killed build left beside it is ours to remove.
        using var guard = UpdateLock.Take(options.Engine with { Image = output });
        foreach (var leftover in Directory.EnumerateFiles(directory, $".{Path.GetFileName(building)}.partial-*").Append(building))
        {
            File.Delete(leftover);
        }

        var scratch = building + ".d";
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }

        try
        {
            // Every time stamp the image gets is SOURCE_DATE_EPOCH, or FAT's epoch without one.
            var epoch = DiskImageOptions.ParseSourceDateEpoch(options.SourceDateEpoch) ?? DiskImageOptions.FatEpoch;
            var runner = new ProcessRunner();
            var payloads = Path.GetFullPath(options.PayloadsDirectory);
            var transfers = Model.Definitions.DefinitionLoader.Load(new Model.Definitions.DefinitionLoadOptions
            {
                DefinitionsDirectory = options.Engine.DefinitionsDirectory,
                Logger = logger,
            }).Transfers;
            var split = options.SplitDirectory is null ? Path.Combine(scratch, "split") : Path.GetFullPath(options.SplitDirectory);
            var written = new List<string>();
            var rootHashes = new List<(string Key, ReadOnlyMemory<byte> RootHash)>();
            if (!PartitionContentBuilder.Needed(definitions))
            {
                var layout = DiskLayoutPlanner.Plan(definitions, seed, options.SectorSize, options.Size, logger);
                await new DiskImageBuilder(runner).BuildAsync(layout, new DiskImageOptions { SourceDateEpoch = epoch, SecureBootSigner = secureBoot }, building, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // The partitions with content are made first (their sizes decide the layout), written while
                // the verity trees are computed, and split out for the transfers: the first install then
                // finds them installed, and `publish` finds them named as it expects.
                Directory.CreateDirectory(scratch);
                var contents = new PartitionContentBuilder(runner, logger) { Environment = options.Engine.Environment.Variables };
                var sized = await contents.PrepareAsync(definitions, seed, options.CopySource is null ? null : Path.GetFullPath(options.CopySource),
                    epoch.ToUnixTimeSeconds(), scratch, cancellationToken).ConfigureAwait(false);
                var layout = DiskLayoutPlanner.Plan(sized, seed, options.SectorSize, options.Size, logger);
                var built = await new DiskImageBuilder(runner).BuildAsync(layout, new DiskImageOptions { SourceDateEpoch = epoch, SecureBootSigner = secureBoot }, building, cancellationToken,
                    (file, planned, ct) => contents.WriteAsync(file, planned, signingKey, seed, ct)).ConfigureAwait(false);
                written.AddRange(await SplitPayloads.WriteAsync(building, built.Layout, contents.Contents, transfers, options.Version, Path.GetFileName(output), split, logger, cancellationToken).ConfigureAwait(false));
                rootHashes.AddRange(RootHashes(built.Layout, contents.Contents));
            }

            if (options.Uki is { } uki)
            {
                // The UKI carries the root hash the image was just given, under the name its transfer's source expects.
                Directory.CreateDirectory(split);
                var name = Path.Combine(split, UkiPayloadName(transfers, options.Version));
                await UkiBuild.WriteAsync(uki, rootHashes, name, secureBoot, runner, logger, cancellationToken).ConfigureAwait(false);
                written.Add(name);
            }

            payloads = MergePayloads(payloads, split, written, Path.Combine(scratch, "payloads"));

            // The image's own verity signatures are checked like any update's, against the certificate they were made with.
            await PayloadInstall.RunAsync(
                options.Engine with { Image = building, ImageTimestamp = epoch, VerityCertificates = [.. options.Engine.VerityCertificates, .. Certificates(options)] },
                payloads,
                options.Version,
                logger,
                observer,
                options.Services,
                cancellationToken).ConfigureAwait(false);
            AtomicRename.Rename(building, output, replace: true);
        }
        finally
        {
            File.Delete(building);
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }

        return output;
    }

    /// <summary>
    /// The command-line key and root hash of each verity data partition the image was given: roothash= for a
    /// root partition, usrhash= for /usr; two of one kind cannot both be named on one command line.
    /// </summary>
    private static IEnumerable<(string Key, ReadOnlyMemory<byte> RootHash)> RootHashes(DiskLayout layout, IReadOnlyList<PartitionContent> contents)
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var content in contents)
        {
            if (content.Definition.Verity != RepartVerityRole.Data || content.RootHash is not { } rootHash)
            {
                continue;
            }

            var planned = layout.Partitions.First(p => ReferenceEquals(p.Definition, content.Definition));
            var key = Formats.Gpt.PartitionTypeTraits.Kind(planned.Type) switch
            {
                "root" => "roothash",
                "usr" => "usrhash",
                _ => null,
            };
            if (key is null)
            {
                continue;
            }

            if (!keys.TryAdd(key, content.Definition.File))
            {
                throw new DiskImageException($"{Foundation.Errors.UntrustedText.Escape(content.Definition.File)} and {Foundation.Errors.UntrustedText.Escape(keys[key])} are both verity data partitions of one kind: a UKI's command line names one {key}=.");
            }

            yield return (key, rootHash);
        }
    }

    /// <summary>
    /// The name of the UKI's payload: the source pattern, formatted with the version, of the one transfer that
    /// installs an .efi file into the boot partitions (PathRelativeTo=esp, xbootldr or boot).
    /// </summary>
    private static string UkiPayloadName(IReadOnlyList<Model.Definitions.TransferDefinition> transfers, string version)
    {
        var entries = transfers.Where(t => t.Target.Type == Model.Definitions.ResourceType.RegularFile
            && t.Target.PathRelativeTo is Model.Definitions.PathRelativeTo.Esp or Model.Definitions.PathRelativeTo.Xbootldr or Model.Definitions.PathRelativeTo.Boot
            && t.Target.Patterns.First.Text.EndsWith(".efi", StringComparison.OrdinalIgnoreCase)).ToList();
        if (entries.Count != 1)
        {
            throw new Foundation.Errors.UsageException(entries.Count == 0
                ? "build-image --uki-linux: no transfer installs a UKI (an .efi file with PathRelativeTo=esp, xbootldr or boot), so the UKI has no name."
                : $"build-image --uki-linux: transfers '{Foundation.Errors.UntrustedText.Escape(entries[0].Id)}' and '{Foundation.Errors.UntrustedText.Escape(entries[1].Id)}' both install a UKI; which one to build is ambiguous.");
        }

        var pattern = entries[0].Source.Patterns.First;
        if (pattern.Wildcards.Any(w => w != 'v') || pattern.HasSlash || pattern.AnyDepth)
        {
            throw new DiskImageException($"Transfer {Foundation.Errors.UntrustedText.Escape(entries[0].Id)}: source pattern '{Foundation.Errors.UntrustedText.Escape(pattern.Text)}' has more than @v in one file name, which a built UKI has no value for.");
        }

        return pattern.Format(new Formats.Versions.InstanceMetadata { Version = version });
    }

    /// <summary>The certificate the image's verity partitions are signed with, which its first install trusts.</summary>
    private static IEnumerable<string> Certificates(ImageBuildOptions options) =>
        options.Certificate is { } certificate ? [Path.GetFullPath(certificate)] : [];

    /// <summary>
    /// The directory the first install reads: the given payloads when the split payloads are already among
    /// them, else both linked (copied across file systems) into <paramref name="merged"/>, the split ones
    /// winning a name both have.
    /// </summary>
    private static string MergePayloads(string payloads, string split, IReadOnlyList<string> written, string merged)
    {
        if (written.Count == 0 || string.Equals(Path.TrimEndingDirectorySeparator(payloads), Path.TrimEndingDirectorySeparator(split), StringComparison.Ordinal))
        {
            return payloads;
        }

        if (!Directory.Exists(payloads))
        {
            return split;
        }

        Directory.CreateDirectory(merged);
        var names = written.Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(payloads).Where(f => !names.Contains(Path.GetFileName(f))).Concat(written))
        {
            var target = Path.Combine(merged, Path.GetFileName(file));
            try
            {
                Foundation.Native.Libc.Link(file, target);
            }
            catch (IOException)
            {
                File.Copy(file, target);
            }
        }

        return merged;
    }

    private static Formats.Verity.VeritySigningKey? LoadSigningKey(ImageBuildOptions options)
    {
        if ((options.PrivateKey is null) != (options.Certificate is null))
        {
            throw new Foundation.Errors.UsageException("build-image needs --private-key and --certificate together.");
        }

        if (options.PrivateKey is null || options.Certificate is null)
        {
            return null;
        }

        string Read(string path, string what)
        {
            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new Foundation.Errors.UsageException($"Cannot read the {what} '{Foundation.Errors.UntrustedText.Escape(path)}': {e.Message}");
            }
        }

        return Formats.Verity.VeritySigningKey.FromPem(Read(options.PrivateKey, "private key"), options.PrivateKey, Read(options.Certificate, "certificate"), options.Certificate);
    }

    /// <summary>The temporary name an image of <paramref name="output"/> is built under, beside it.</summary>
    public static string BuildingName(string output) =>
        Path.Combine(Path.GetDirectoryName(output)!, $".#{Path.GetFileName(output)}.building");

    /// <summary>Without a seed, the same version always gets the same disk and partition UUIDs.</summary>
    public static Guid SeedFor(string version)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("image-update build-image seed\n" + version));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x40); // version 4
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
