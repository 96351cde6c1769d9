using System.Globalization;
using ImageUpdate.Processes;

namespace ImageUpdate.Imaging;

/// <summary>
/// The few mtools calls building an image needs, on the FAT file system at a byte offset of an image
/// file (mtools' "-i FILE@@OFFSET"), so nothing is mounted. Kept minimal and internal: the general FAT
/// layer (src/ImageUpdate/Fat/) is meant to replace it.
/// <para>
/// Reproducible timestamps: mtools 4.0.32 takes "now" from SOURCE_DATE_EPOCH when it is set, for new
/// files (without -m) and new directories alike, and writes it as local time, so every call runs with
/// that variable and TZ=UTC. MTOOLS_SKIP_CHECK=1 stops it refusing file systems whose geometry it
/// would not have chosen; a closed stdin means it never waits on a prompt.
/// </para>
/// </summary>
internal sealed class EspMtools(IProcessRunner runner, string image, ulong offset, DateTimeOffset time)
{
    private string Drive => $"{image}@@{offset.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Creates each directory, parents first (mmd has no -p).</summary>
    public async Task MakeDirectoriesAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        foreach (var path in paths)
        {
            await RunAsync("mmd", ["-i", Drive, "::" + path], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Copies a local file to <paramref name="path"/>, replacing what is there.</summary>
    public Task CopyFileAsync(string source, string path, CancellationToken cancellationToken) =>
        RunAsync("mcopy", ["-o", "-i", Drive, source, "::" + path], cancellationToken);

    private Task RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        runner.RunAsync(new ProcessRequest(tool, arguments)
        {
            Environment = new Dictionary<string, string?>
            {
                ["MTOOLS_SKIP_CHECK"] = "1",
                ["SOURCE_DATE_EPOCH"] = time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                ["TZ"] = "UTC",

                // A user's ~/.mtoolsrc or MTOOLSRC could change name mangling or geometry checks.
                ["MTOOLSRC"] = "/dev/null",
            },
        }, cancellationToken);
}
