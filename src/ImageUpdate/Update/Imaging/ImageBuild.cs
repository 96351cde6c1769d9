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

        var definitions = RepartDefinitions.Load(Path.GetFullPath(options.LayoutDirectory), logger);
        var layout = DiskLayoutPlanner.Plan(definitions, options.Seed ?? SeedFor(options.Version), options.SectorSize, options.Size, logger);

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

        try
        {
            // Every time stamp the image gets is SOURCE_DATE_EPOCH, or FAT's epoch without one.
            var epoch = DiskImageOptions.ParseSourceDateEpoch(options.SourceDateEpoch) ?? DiskImageOptions.FatEpoch;
            await new DiskImageBuilder(new ProcessRunner()).BuildAsync(layout, new DiskImageOptions { SourceDateEpoch = epoch }, building, cancellationToken).ConfigureAwait(false);
            await PayloadInstall.RunAsync(
                options.Engine with { Image = building, ImageTimestamp = epoch },
                Path.GetFullPath(options.PayloadsDirectory),
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
        }

        return output;
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
