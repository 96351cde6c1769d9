using System.Security.Cryptography;
using ImageUpdate.Platform.Btrfs;
using ImageUpdate.Tests.Platform.Btrfs;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Update.Staging;

/// <summary>
/// `image-update STAGING_DIR` on a real loop-mounted BTRFS: what a downloader staged is installed
/// only after the snapshot validates and the manifest's signature checks out; anything else is
/// refused before a target is touched.
/// </summary>
[Collection(BtrfsCollection.Name)]
public sealed class StagedUpdateTests(BtrfsLoopMount mount) : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SigningKey _key = new();

    public void Dispose()
    {
        _dir.Dispose();
        _key.Dispose();
    }

    /// <summary>Definitions with a url-file and a url-tar transfer (the host's own), and a fresh staging path.</summary>
    private string Setup()
    {
        Directory.CreateDirectory(_dir["defs"]);
        File.WriteAllBytes(_dir["keyring.gpg"], _key.PublicKeyring);
        File.WriteAllText(_dir["defs/10-root.transfer"], $"""
            [Source]
            Type=url-file
            Path=https://updates.example.org/os
            MatchPattern=root_@v.img.zst

            [Target]
            Type=regular-file
            Path={_dir["system"]}
            MatchPattern=root_@v.img
            """);
        File.WriteAllText(_dir["defs/20-conf.transfer"], $"""
            [Source]
            Type=url-tar
            Path=https://updates.example.org/os
            MatchPattern=conf_@v.tar.gz

            [Target]
            Type=directory
            Path={_dir["conf"]}
            MatchPattern=conf_@v
            """);
        return mount.NewPath("staging");
    }

    /// <summary>What the downloader leaves: the version's files, then SHA256SUMS and its signature.</summary>
    private byte[] Stage(string staging, string version, bool sign = true)
    {
        if (!Directory.Exists(staging))
        {
            KernelBtrfs.Instance.CreateSubvolume(staging);
        }

        var root = RandomNumberGenerator.GetBytes(256 * 1024);
        File.WriteAllBytes(_dir["root.img"], root);
        Test72Scenario.Run("zstd", "-q", "-f", _dir["root.img"], "-o", Path.Combine(staging, $"root_{version}.img.zst"));
        var conf = Directory.CreateDirectory(_dir[$"conf-src-{version}"]).FullName;
        File.WriteAllText(Path.Combine(conf, "version"), version);
        Test72Scenario.Run("tar", "-C", conf, "-czf", Path.Combine(staging, $"conf_{version}.tar.gz"), ".");
        var lines = Directory.GetFiles(staging).Where(f => !Path.GetFileName(f).StartsWith("SHA256SUMS", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(f => $"{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))}  {Path.GetFileName(f)}\n");
        File.WriteAllText(Path.Combine(staging, "SHA256SUMS"), string.Concat(lines));
        if (sign)
        {
            _key.SignDetached(Path.Combine(staging, "SHA256SUMS"));
        }

        return root;
    }

    private Task<RunResult> Run(string staging, IReadOnlyDictionary<string, string?>? env = null) =>
        ImageUpdateProcess.RunAsync(env, "--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], staging);

    private void AssertNothingInstalled()
    {
        Assert.False(Directory.Exists(_dir["system"]) && Directory.EnumerateFileSystemEntries(_dir["system"]).Any());
        Assert.False(Directory.Exists(_dir["conf"]) && Directory.EnumerateFileSystemEntries(_dir["conf"]).Any());
    }

    [Fact]
    public async Task A_valid_staged_update_installs_and_a_second_run_is_up_to_date()
    {
        mount.Require();

        var staging = Setup();
        var root = Stage(staging, "2");

        var first = await Run(staging);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Installed 2", first.Stdout);
        Assert.Equal(root, File.ReadAllBytes(_dir["system/root_2.img"]));
        Assert.Equal("2", File.ReadAllText(_dir["conf/conf_2/version"]));
        var second = await Run(staging);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Already up to date", second.Stdout);
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(mount.MountPoint, ".image-update-snapshots")));
    }

    [Fact]
    public async Task A_missing_staging_directory_becomes_an_empty_subvolume()
    {
        mount.Require();

        var staging = Setup();

        var result = await Run(staging);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Nothing staged yet", result.Stdout);
        Assert.True(KernelBtrfs.Instance.IsSubvolume(staging));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(staging));
    }

    [Fact]
    public async Task A_plain_directory_with_files_is_refused_with_what_to_do()
    {
        mount.Require();

        var staging = Setup();
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "x"), "x");

        var result = await Run(staging);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not a BTRFS subvolume", result.Stderr);
    }

    public static TheoryData<string> Refusals => ["symlink", "dangling symlink", "hard link", "fifo", "subdirectory", "escape in name", "newline in name", "leading dash", "trailing dot",
        "5000 files", "sparse file over the bound", "no signature", "unknown key", "dotdot in manifest", "tampered payload"];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Bad_staged_content_is_refused_before_anything_is_installed(string what)
    {
        mount.Require();

        var staging = Setup();
        Stage(staging, "2", sign: what != "no signature");
        var expected = what switch
        {
            "symlink" or "dangling symlink" => "symbolic link",
            "hard link" => "is a hard link",
            "fifo" => "evil",
            "subdirectory" => "evil",
            "escape in name" => "\\x1b",
            "newline in name" => "\\n",
            "leading dash" => "-evil",
            "trailing dot" => "evil.",
            "5000 files" => "entries",
            "sparse file over the bound" => "big",
            "no signature" => "no signature",
            "unknown key" => "unknown key",
            "dotdot in manifest" => "SHA256SUMS",
            _ => "SHA-256",
        };
        switch (what)
        {
            case "symlink":
                File.CreateSymbolicLink(Path.Combine(staging, "evil"), "/etc/shadow");
                break;
            case "dangling symlink":
                File.CreateSymbolicLink(Path.Combine(staging, "evil"), "/nonexistent");
                break;
            case "hard link":
                Test72Scenario.Run("ln", Directory.GetFiles(staging, "root_*").Single(), Path.Combine(staging, "evil"));
                break;
            case "fifo":
                Test72Scenario.Run("mkfifo", Path.Combine(staging, "evil"));
                break;
            case "subdirectory":
                Directory.CreateDirectory(Path.Combine(staging, "evil"));
                break;
            case "escape in name":
                File.WriteAllText(Path.Combine(staging, "a\u001b[2Jb"), "x");
                break;
            case "newline in name":
                File.WriteAllText(Path.Combine(staging, "a\nb"), "x");
                break;
            case "leading dash":
                File.WriteAllText(Path.Combine(staging, "-evil"), "x");
                break;
            case "trailing dot":
                File.WriteAllText(Path.Combine(staging, "evil."), "x");
                break;
            case "5000 files":
                for (var i = 0; i < 5000; i++)
                {
                    File.WriteAllText(Path.Combine(staging, $"f{i}"), "");
                }

                break;
            case "sparse file over the bound":
                using (var big = File.Create(Path.Combine(staging, "big")))
                {
                    big.SetLength((8L << 30) + 1);
                }

                break;
            case "unknown key":
                using (var stranger = new SigningKey(userId: "Stranger <s@example.org>"))
                {
                    stranger.SignDetached(Path.Combine(staging, "SHA256SUMS"));
                }

                break;
            case "dotdot in manifest":
                File.AppendAllText(Path.Combine(staging, "SHA256SUMS"), new string('a', 64) + "  ../x\n");
                _key.SignDetached(Path.Combine(staging, "SHA256SUMS"));
                break;
            case "tampered payload":
                var file = Directory.GetFiles(staging, "root_*").Single();
                File.WriteAllBytes(file, RandomNumberGenerator.GetBytes(1000));
                break;
        }

        var result = await Run(staging);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.False(File.Exists(_dir["system/root_2.img"]));
        if (what != "tampered payload")
        {
            AssertNothingInstalled();
        }
    }

    [Fact]
    public async Task A_second_invocation_while_one_runs_fails_at_once()
    {
        mount.Require();

        var staging = Setup();
        Stage(staging, "2");
        var lockPath = _dir["lock"];
        using var held = ImageUpdate.Platform.FileSystem.FileLock.Acquire(lockPath);

        var result = await Run(staging, new Dictionary<string, string?> { ["IMAGE_UPDATE_LOCK_PATH"] = lockPath });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Another update is running", result.Stderr);
        AssertNothingInstalled();
    }

    [Theory]
    [InlineData("after-snapshot")]
    [InlineData("after-partial-write")]
    [InlineData("after-pending")]
    [InlineData("after-acquire-transfer:2")]
    [InlineData("after-install-rename")]
    public async Task A_kill_mid_install_leaves_a_snapshot_the_rerun_removes_before_it_finishes(string point)
    {
        mount.Require();

        var staging = Setup();
        var root = Stage(staging, "2");

        var crashed = await Run(staging, new Dictionary<string, string?> { ["IMAGE_UPDATE_TEST_CRASH_AT"] = point });
        Assert.Equal(137, crashed.ExitCode);

        var rerun = await Run(staging);
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Equal(root, File.ReadAllBytes(_dir["system/root_2.img"]));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(mount.MountPoint, ".image-update-snapshots")));
    }

    [Fact]
    public async Task Rewriting_the_staging_directory_after_the_snapshot_cannot_change_what_is_installed()
    {
        mount.Require();

        var staging = Setup();
        var root = Stage(staging, "2");
        var snapshots = Path.Combine(mount.MountPoint, ".image-update-snapshots");
        var run = Run(staging, new Dictionary<string, string?> { ["IMAGE_UPDATE_TEST_PAUSE_AT"] = "after-snapshot:3000" });

        // Once the snapshot exists (the program now waits), the downloader swaps the payload and the
        // manifest for its own, and plants a symlink.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(Directory.Exists(snapshots) && Directory.EnumerateDirectories(snapshots).Any(d => Path.GetFileName(d).StartsWith(Path.GetFileName(staging), StringComparison.Ordinal))))
        {
            Assert.True(DateTime.UtcNow < deadline, "no snapshot appeared");
            await Task.Delay(20);
        }

        var payload = Directory.GetFiles(staging, "root_*").Single();
        File.WriteAllBytes(payload, RandomNumberGenerator.GetBytes(1000));
        File.WriteAllText(Path.Combine(staging, "SHA256SUMS"), $"{Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(payload)))}  {Path.GetFileName(payload)}\n");
        File.CreateSymbolicLink(Path.Combine(staging, "evil"), "/etc/shadow");
        var result = await run;

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(root, File.ReadAllBytes(_dir["system/root_2.img"]));
    }

    [Fact]
    public async Task Fetch_with_runs_the_downloader_first_so_one_invocation_does_the_whole_flow()
    {
        mount.Require();

        var staging = Setup();
        var prepared = mount.NewPath("prepared");
        var root = Stage(prepared, "3");
        var downloader = _dir["downloader.sh"];
        File.WriteAllText(downloader, $"#!/bin/sh\nset -e\ncp -a '{prepared}'/. \"$1\"/\n");
        File.SetUnixFileMode(downloader, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await ImageUpdateProcess.RunAsync(null, "--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], "--fetch-with", downloader, staging);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(root, File.ReadAllBytes(_dir["system/root_3.img"]));
        Assert.True(KernelBtrfs.Instance.IsSubvolume(staging));
    }

    [Fact]
    public async Task A_staged_update_with_a_partition_an_esp_file_and_a_directory_installs()
    {
        mount.Require();

        var staging = Setup();
        var disk = Formats.Gpt.GptTools.NewImage(_dir.Path, "disk.raw", 8L << 20);
        Formats.Gpt.GptTools.Sfdisk(disk, """
            label: gpt
            size=4096, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=_empty
            size=4096, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=_empty
            """);
        File.WriteAllText(_dir["defs/10-root.transfer"], $"""
            [Source]
            Type=url-file
            Path=https://updates.example.org/os
            MatchPattern=root_@v.img.zst

            [Target]
            Type=partition
            Path={disk}
            MatchPattern=root_@v
            MatchPartitionType=root-x86-64
            """);
        File.WriteAllText(_dir["defs/90-uki.transfer"], """
            [Source]
            Type=url-file
            Path=https://updates.example.org/os
            MatchPattern=uki_@v.efi

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=esp
            MatchPattern=uki_@v+@l-@d.efi uki_@v.efi
            TriesLeft=3
            """);
        Directory.CreateDirectory(_dir["esp/EFI/Linux"]);
        KernelBtrfs.Instance.CreateSubvolume(staging);
        File.WriteAllText(Path.Combine(staging, "uki_2.efi"), "MZ uki 2");
        var root = Stage(staging, "2");

        var result = await ImageUpdateProcess.RunAsync(
            new Dictionary<string, string?> { ["SYSTEMD_ESP_PATH"] = _dir["esp"] },
            "--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], staging);

        Assert.True(result.ExitCode == 0, result.ToString());
        var slot = Formats.Gpt.GptTools.SfdiskJson(disk).Partitions.Single(p => p.Name == "root_2");
        Assert.Equal(new Guid("4f68bce3-e8cd-4db1-96e7-fbcaf984b709"), slot.Type);
        using (var image = File.OpenRead(disk))
        {
            var bytes = new byte[root.Length];
            image.Seek((long)slot.Start * 512, SeekOrigin.Begin);
            image.ReadExactly(bytes);
            Assert.Equal(root, bytes);
        }

        Assert.Equal("MZ uki 2", File.ReadAllText(_dir["esp/EFI/Linux/uki_2+3-0.efi"]));
        Assert.Equal("2", File.ReadAllText(_dir["conf/conf_2/version"]));
    }
}
