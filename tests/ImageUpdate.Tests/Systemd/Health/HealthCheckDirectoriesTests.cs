using ImageUpdate.Platform.Processes;
using ImageUpdate.Systemd.Health;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Systemd.Health;

public sealed class HealthCheckDirectoriesTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RecordingLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private string Etc => _dir["etc"];

    private string Lib => _dir["lib"];

    private static void Script(string directory, string name, string body = "exit 0", bool executable = true)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (executable)
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private IReadOnlyList<ExecutableHealthCheck> Discover() =>
        HealthCheckDirectories.Discover([Etc, Lib], ExecutableHealthCheck.DefaultTimeout, new ProcessRunner(), _log);

    [Fact]
    public void Checks_from_both_directories_run_in_file_name_order()
    {
        Script(Lib, "20-network");
        Script(Etc, "10-disk");
        Script(Lib, "30-app");

        Assert.Equal(["10-disk", "20-network", "30-app"], Discover().Select(c => c.Name));
    }

    [Fact]
    public void A_same_named_file_in_the_first_directory_masks_the_later_one()
    {
        Script(Etc, "20-network", "exit 7");
        Script(Lib, "20-network");

        var check = Assert.Single(Discover());

        Assert.Equal(Path.Combine(Etc, "20-network"), check.Path);
    }

    [Fact]
    public void A_link_to_dev_null_or_a_non_executable_file_disables_the_check_it_masks()
    {
        Script(Lib, "20-network");
        Script(Lib, "30-app");
        Directory.CreateDirectory(Etc);
        File.CreateSymbolicLink(Path.Combine(Etc, "20-network"), "/dev/null");
        Script(Etc, "30-app", executable: false);

        Assert.Empty(Discover());
        Assert.Contains(_log.Lines, l => l.Contains("20-network") && l.Contains("masked"));
        Assert.Contains(_log.Lines, l => l.Contains("30-app") && l.Contains("not executable"));
    }

    [Fact]
    public void Non_executable_files_hidden_files_directories_and_dangling_links_are_ignored()
    {
        Script(Lib, "10-notes", executable: false);
        Script(Lib, ".20-hidden");
        Directory.CreateDirectory(Path.Combine(Lib, "30-dir"));
        File.CreateSymbolicLink(Path.Combine(Lib, "40-dangling"), Path.Combine(Lib, "nowhere"));
        Script(Lib, "50-real");

        Assert.Equal(["50-real"], Discover().Select(c => c.Name));
    }

    [Fact]
    public void Missing_directories_give_no_checks()
    {
        Assert.Empty(Discover());
    }
}
