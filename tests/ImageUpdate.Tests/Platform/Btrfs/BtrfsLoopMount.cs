using ImageUpdate.Platform.Processes;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.Btrfs;

/// <summary>
/// A real BTRFS for the tests: a 300 MiB sparse image made by `mkfs.btrfs -q` and mounted with
/// `mount -o loop`, shared by every test in the "btrfs" collection and unmounted (which detaches the
/// autoclear loop device; `losetup -d` makes sure) when the collection ends. Needs root and
/// btrfs-progs; without them a test is skipped saying why, except under CI=true where it fails.
/// </summary>
public sealed class BtrfsLoopMount : IAsyncLifetime
{
    private static readonly ProcessRunner Runner = new();

    private readonly TempDirectory _temp = new("image-update-btrfs-");
    private string? _skipReason;
    private string? _loopDevice;
    private int _counter;

    public string MountPoint => _temp["mnt"];

    public string Image => _temp["btrfs.img"];

    /// <summary>Returns when the file system is mounted; otherwise a skip saying why (a failure under CI).</summary>
    public void Require()
    {
        if (_skipReason is not null)
        {
            TestEnvironment.Unavailable(_skipReason);
        }
    }

    /// <summary>A fresh path (not created) directly under the mount point.</summary>
    public string NewPath(string hint) => Path.Combine(MountPoint, $"{hint}-{Interlocked.Increment(ref _counter)}");

    /// <summary>A fresh plain directory (not a subvolume) on the BTRFS.</summary>
    public string NewDirectory(string hint) => Directory.CreateDirectory(NewPath(hint)).FullName;

    public static Task<ProcessResult> Run(string tool, params string[] arguments) =>
        Runner.RunAsync(new ProcessRequest(tool, arguments) { Timeout = TimeSpan.FromMinutes(1) }, CancellationToken.None);

    public async ValueTask InitializeAsync()
    {
        if (!TestEnvironment.IsRoot)
        {
            _skipReason = "Not root, so no loop-mounted BTRFS can be made";
            return;
        }

        if (!new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" }.Any(d => File.Exists(Path.Combine(d, "mkfs.btrfs"))))
        {
            _skipReason = "'mkfs.btrfs' is not installed (apt-get install btrfs-progs)";
            return;
        }

        await using (var image = new FileStream(Image, FileMode.CreateNew))
        {
            image.SetLength(300L << 20);
        }

        Directory.CreateDirectory(MountPoint);
        await Run("mkfs.btrfs", "-q", Image);
        await Run("mount", "-o", "loop", Image, MountPoint);
        _loopDevice = (await Run("findmnt", "--noheadings", "--output", "SOURCE", MountPoint)).StandardOutput.Trim();
    }

    public async ValueTask DisposeAsync()
    {
        if (_loopDevice is not null)
        {
            for (var attempt = 0; attempt < 10; attempt++)
            {
                var result = await Runner.RunAsync(new ProcessRequest("umount", [MountPoint]) { CheckExitCode = false }, CancellationToken.None);
                if (result.ExitCode == 0)
                {
                    break;
                }

                await Task.Delay(200);
            }

            // mount -o loop sets autoclear, so this normally finds nothing left to detach.
            await Runner.RunAsync(new ProcessRequest("losetup", ["--detach", _loopDevice]) { CheckExitCode = false }, CancellationToken.None);
        }

        _temp.Dispose();
    }
}
