using System.Globalization;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Archives;
using ImageUpdate.Platform.Processes;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// Makes a Format=erofs or Format=squashfs partition's file system from its CopyFiles= the way
/// systemd-repart 262 does (src/repart/repart.c, src/shared/mkfs-util.c): the sources copied into one
/// staging tree, then <c>mkfs.erofs -U UUID --quiet [-z ALG[,LEVEL]] IMAGE TREE</c> or <c>mksquashfs TREE
/// IMAGE -quiet -noappend [-comp ALG [-Xcompression-level LEVEL]]</c>, the file system UUID derived from
/// the partition's seed-derived UUID (<see cref="RepartUuids.FileSystem"/>). Where repart leaves the
/// result to the clock, this adds what makes the same tree give the same bytes: every time stamp is the
/// build's SOURCE_DATE_EPOCH (mkfs.erofs -T, mksquashfs -mkfs-time/-all-time; repart keeps the files' own
/// times and mkfs.erofs stamps the superblock with the current time), and every file is owned by root
/// (--all-root / -all-root: repart maps the tree's owner to root in a user namespace, which for a tree
/// owned by the builder gives the same). <c>SYSTEMD_REPART_MKFS_OPTIONS_EROFS</c> / <c>_SQUASHFS</c> in
/// <paramref name="environment"/> are appended last, as repart appends them (<see cref="RepartMkfsOptions"/>).
/// </summary>
internal sealed class ReadOnlyFileSystemMaker(IProcessRunner runner, IReadOnlyDictionary<string, string> environment)
{
    /// <summary>Builds the file system of <paramref name="partition"/> into <paramref name="image"/>; returns its size in bytes.</summary>
    public async Task<long> MakeAsync(RepartPartition partition, string copySource, Guid fileSystemUuid, long epoch, string image, string staging, CancellationToken cancellationToken)
    {
        var tree = await StageAsync(partition, copySource, staging, cancellationToken).ConfigureAwait(false);
        var time = epoch.ToString(CultureInfo.InvariantCulture);
        ProcessRequest request;
        if (partition.Format == RepartFormat.Erofs)
        {
            List<string> arguments = ["-U", fileSystemUuid.ToString(), "--quiet"];
            if (partition.Compression is { } compression)
            {
                arguments.Add("-z" + compression + (partition.CompressionLevel is { } level ? "," + level.ToString(CultureInfo.InvariantCulture) : string.Empty));
            }

            arguments.AddRange(["-T" + time, "--all-root", image, tree]);
            arguments.AddRange(RepartMkfsOptions.For(environment, "erofs"));
            request = new ProcessRequest("mkfs.erofs", arguments);
        }
        else
        {
            List<string> arguments = [tree, image, "-quiet", "-noappend"];
            if (partition.Compression is { } compression)
            {
                arguments.AddRange(["-comp", compression]);
                if (partition.CompressionLevel is { } level)
                {
                    arguments.AddRange(["-Xcompression-level", level.ToString(CultureInfo.InvariantCulture)]);
                }
            }

            arguments.AddRange(["-mkfs-time", time, "-all-time", time, "-all-root", "-no-progress"]);
            arguments.AddRange(RepartMkfsOptions.For(environment, "squashfs"));
            request = new ProcessRequest("mksquashfs", arguments);
        }

        await runner.RunAsync(request with { Timeout = TimeSpan.FromHours(1) }, cancellationToken).ConfigureAwait(false);
        return new FileInfo(image).Length;
    }

    /// <summary>
    /// The tree mkfs reads: the one source directory itself when CopyFiles= is a single "SOURCE:/" (nothing to
    /// copy), else each source copied to its target under <paramref name="staging"/>, in order, as repart does.
    /// </summary>
    private static async Task<string> StageAsync(RepartPartition partition, string copySource, string staging, CancellationToken cancellationToken)
    {
        if (partition.CopyFiles is [{ Target: "/" } only])
        {
            var source = Resolve(partition, copySource, only.Source);
            return Directory.Exists(source) ? source
                : throw new DiskImageException($"{UntrustedText.Escape(partition.File)}: CopyFiles= source '{UntrustedText.Escape(source)}' is not a directory; only a directory can be a file system's root.");
        }

        Directory.CreateDirectory(staging);
        foreach (var copy in partition.CopyFiles)
        {
            var source = Resolve(partition, copySource, copy.Source);
            var target = Path.Join(staging, copy.Target);
            if (Directory.Exists(source))
            {
                await TreeCopy.CopyAsync(source, target, cancellationToken).ConfigureAwait(false);
            }
            else if (File.Exists(source))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(source, target, overwrite: true);
                File.SetLastWriteTimeUtc(target, File.GetLastWriteTimeUtc(source));
            }
            else
            {
                throw new DiskImageException($"{UntrustedText.Escape(partition.File)}: CopyFiles= source '{UntrustedText.Escape(source)}' does not exist.");
            }
        }

        return staging;
    }

    private static string Resolve(RepartPartition partition, string copySource, string source) =>
        Path.Join(copySource, source) is var path && path.Length > 0 ? path
        : throw new DiskImageException($"{UntrustedText.Escape(partition.File)}: CopyFiles= source '{UntrustedText.Escape(source)}' is empty.");
}
