using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Platform.Btrfs;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Staging;

namespace ImageUpdate.Tests.Update.Staging;

/// <summary>
/// The staged delta flow end to end with the real program: v1 installed, `fetch --have 1` stages the
/// new index and one pack of the chunks v1 lacks, `image-update STAGING_DIR` rebuilds v2 from the
/// pack and the installed v1 through the read-only snapshot, byte for byte; a chunk neither staged
/// nor installed stops it before anything is written, with one line naming the version to fetch again.
/// </summary>
[Collection(BtrfsCollection.Name)]
public sealed class StagedDeltaTests(BtrfsLoopMount mount) : IAsyncDisposable
{
    private const int Size = 4 << 20;

    private readonly TempDirectory _dir = new();
    private readonly SigningKey _key = new();
    private ChunkedOsServer? _server;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _dir.Dispose();
        _key.Dispose();
    }

    [Fact]
    public async Task Fetch_have_then_the_host_installs_v2_from_the_pack_and_the_installed_v1()
    {
        mount.Require();
        var (v1, v2, staging) = await SetupAsync();

        var fetch = await Run("fetch", "--from", _server!.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", StagingFetch.ChunkPackName, "os_2.raw.caibx"], Directory.GetFiles(staging).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(_server.BytesSent < Size / 4, $"the server sent {_server.BytesSent} bytes for a {Size}-byte file");

        var install = await Run(staging);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Contains("Installed 2", install.Stdout, StringComparison.Ordinal);
        Assert.Equal(v2, File.ReadAllBytes(_dir["system/os_2.raw"]));
        Assert.Equal(v1, File.ReadAllBytes(_dir["system/os_1.raw"]));
    }

    [Fact]
    public async Task With_v1_in_a_partition_slot_the_host_rebuilds_v2_into_the_other_slot()
    {
        mount.Require();
        var (v1, v2, staging, disk) = await PartitionHostAsync();

        var fetch = await Run("fetch", "--from", _server!.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        var install = await Run(staging);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(v2, ReadSlot(disk, "os_2", v2.Length));
        Assert.Equal(v1, ReadSlot(disk, "os_1", v1.Length));
        Assert.True(_server.BytesSent < Size / 4, $"the server sent {_server.BytesSent} bytes for a {Size}-byte file");
    }

    [Fact]
    public async Task With_v1s_index_in_the_hosts_cache_the_slot_is_checked_once_and_mapped_by_it_not_chunked()
    {
        mount.Require();
        var (v1, v2, staging, disk) = await PartitionHostAsync();
        var state = CacheIndexOf("1");
        var fetch = await Run("fetch", "--from", _server!.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());

        var install = await RunWithState(state, "--verbose", staging);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(v2, ReadSlot(disk, "os_2", v2.Length));
        Assert.Equal(v1, ReadSlot(disk, "os_1", v1.Length));
        Assert.Contains("holds version 1 byte for byte: mapped by its index.", install.Stderr, StringComparison.Ordinal);
        Assert.Contains("(by the published index of version 1).", install.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("(chunked here)", install.Stderr, StringComparison.Ordinal);

        // What was installed is cached in turn, for the next staged update to map.
        Assert.Equal(["1", "2"], CachedVersions(state));
    }

    [Fact]
    public async Task Without_a_cached_index_the_slot_is_chunked_and_the_index_installed_is_cached_for_the_next_update()
    {
        mount.Require();
        var (_, v2, staging, disk) = await PartitionHostAsync();
        var state = _dir["state"];
        var fetch = await Run("fetch", "--from", _server!.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());

        var install = await RunWithState(state, "--verbose", staging);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(v2, ReadSlot(disk, "os_2", v2.Length));
        Assert.Contains("(chunked here)", install.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("byte for byte", install.Stderr, StringComparison.Ordinal);
        Assert.Equal(["2"], CachedVersions(state));
    }

    [Fact]
    public async Task A_slot_changed_since_its_index_was_cached_is_chunked_instead_and_v2_is_still_rebuilt()
    {
        mount.Require();
        var (_, v2, staging, disk) = await PartitionHostAsync();
        var state = CacheIndexOf("1");
        // A chunk of v1 that v2 no longer has changes in the slot: the cached map is wrong there.
        var v2Ids = _server!.Index("2").Chunks.Select(c => c.Id).ToHashSet();
        var gone = _server.Index("1").Chunks.First(c => !v2Ids.Contains(c.Id));
        FlipSlotByte(disk, "os_1", gone.Offset + 100);
        var fetch = await Run("fetch", "--from", _server.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());

        var install = await RunWithState(state, "--verbose", staging);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(v2, ReadSlot(disk, "os_2", v2.Length));
        Assert.Contains("does not hold version 1 byte for byte any more", install.Stderr, StringComparison.Ordinal);
        Assert.Contains("(chunked here)", install.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slot_that_lost_a_chunk_v2_needs_since_its_index_was_cached_stops_before_anything_is_written()
    {
        mount.Require();
        var (v1, _, staging, disk) = await PartitionHostAsync();
        var state = CacheIndexOf("1");
        var fetch = await Run("fetch", "--from", _server!.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        // v1's first chunk, which v2 shares and so the pack lacks, changes in the slot after the fetch.
        var first = _server.Index("1").Chunks[0];
        FlipSlotByte(disk, "os_1", 100);

        var install = await RunWithState(state, staging);

        Assert.Equal(1, install.ExitCode);
        Assert.Equal(
            $"image-update: error: Cannot rebuild 'os_2.raw' from the staged update: 1 of its chunks ({first.Length} bytes) are neither in the staged {StagingFetch.ChunkPackName} nor in an installed copy; fetch version '2' again without --have.",
            install.Stderr.TrimEnd().Split('\n')[^1]);
        Assert.Equal(["os_1", "_empty"], Formats.Gpt.GptTools.SfdiskJson(disk).Partitions.Select(p => p.Name));
        Assert.All(ReadSlot(disk, "_empty", v1.Length), b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task A_staged_index_of_v1_maps_the_slot_once_checked_against_the_manifest_and_is_cached()
    {
        mount.Require();
        var (_, v2, staging, disk) = await PartitionHostAsync();
        var state = _dir["state"];
        var fetch = await Run("fetch", "--from", _server!.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        // A downloader may stage v1's index too (the manifest lists it); the host has none cached.
        File.Copy(Path.Combine(_server.Root, "os_1.raw.caibx"), Path.Combine(staging, "os_1.raw.caibx"));

        var install = await RunWithState(state, "--verbose", staging);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(v2, ReadSlot(disk, "os_2", v2.Length));
        Assert.Contains("holds version 1 byte for byte: mapped by its index.", install.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("(chunked here)", install.Stderr, StringComparison.Ordinal);
        Assert.Equal(["1", "2"], CachedVersions(state));
    }

    [Fact]
    public async Task A_staged_index_of_v1_that_is_not_the_one_the_manifest_lists_is_refused_and_nothing_is_written()
    {
        mount.Require();
        var (v1, _, staging, disk) = await PartitionHostAsync();
        var fetch = await Run("fetch", "--from", _server!.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        var tampered = File.ReadAllBytes(Path.Combine(_server.Root, "os_1.raw.caibx"));
        tampered[^1] ^= 0x01;
        File.WriteAllBytes(Path.Combine(staging, "os_1.raw.caibx"), tampered);

        var install = await RunWithState(_dir["state"], staging);

        Assert.Equal(1, install.ExitCode);
        Assert.StartsWith($"image-update: error: SHA-256 of 'os_1.raw.caibx' ({tampered.Length} bytes) is ", install.Stderr.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
        Assert.Equal(["os_1", "_empty"], Formats.Gpt.GptTools.SfdiskJson(disk).Partitions.Select(p => p.Name));
        Assert.All(ReadSlot(disk, "_empty", v1.Length), b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task A_slot_larger_than_v1_still_rebuilds_v2_whose_last_chunk_is_v1s()
    {
        // The slot goes on past v1's end, so the host's chunker cannot cut v1's last chunk there: the
        // fetch must stage it although v1's index lists it (found by the demo OS's e2e cycle).
        mount.Require();
        var v1 = new byte[Size];
        new Random(7).NextBytes(v1);
        var v2 = (byte[])v1.Clone();
        new Random(8).NextBytes(v2.AsSpan(0, 256 << 10));
        _server = new ChunkedOsServer(_dir);
        await _server.PublishAsync(_key, new Dictionary<string, byte[]> { ["1"] = v1, ["2"] = v2 });
        _server.Define(_key);
        await _server.StartAsync();
        var disk = Formats.Gpt.GptTools.NewImage(_dir.Path, "disk.raw", 14L << 20);
        Formats.Gpt.GptTools.Sfdisk(disk, """
            label: gpt
            size=12288, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=os_1
            size=12288, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=_empty
            """);
        WriteSlot(disk, "os_1", [.. v1, .. Enumerable.Repeat((byte)0x5a, 1 << 20)]);
        File.WriteAllText(_dir["defs/os.transfer"], $"""
            [Source]
            Type=url-file
            Path=https://updates.example.org/os
            MatchPattern=os_@v.raw

            [Target]
            Type=partition
            Path={disk}
            MatchPattern=os_@v
            MatchPartitionType=root-x86-64
            """);
        var staging = mount.NewPath("delta");
        Assert.Contains("Nothing staged yet", (await Run(staging)).Stdout, StringComparison.Ordinal);

        var fetch = await Run("fetch", "--from", _server.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        var install = await Run(staging);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(v2, ReadSlot(disk, "os_2", v2.Length));
        Assert.True(_server.BytesSent < Size / 4, $"the server sent {_server.BytesSent} bytes for a {Size}-byte file");
    }

    [Fact]
    public async Task A_file_installed_on_an_images_esp_seeds_the_rebuild_of_its_next_version()
    {
        // The demo OS's UKI lives on the ESP inside the disk image (--image): its installed copy,
        // read out through mtools, is a seed like a host file (found by the demo OS's e2e cycle).
        mount.Require();
        using var image = new DiskImageScenario();
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        _server = new ChunkedOsServer(_dir);
        await _server.PublishAsync(_key, new Dictionary<string, byte[]> { ["1"] = v1, ["2"] = v2 });
        _server.Define(_key);
        await _server.StartAsync();
        File.WriteAllBytes(_dir["os_1.efi"], v1);
        var esp = $"{image.Disk}@@{DiskImageScenario.EspOffset}";
        Formats.Gpt.GptTools.Run("mmd", ["-i", esp, "::/EFI", "::/EFI/Linux"]);
        Formats.Gpt.GptTools.Run("mcopy", ["-i", esp, _dir["os_1.efi"], "::/EFI/Linux/os_1.efi"]);
        File.WriteAllText(_dir["defs/os.transfer"], """
            [Source]
            Type=url-file
            Path=https://updates.example.org/os
            MatchPattern=os_@v.raw

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=boot
            MatchPattern=os_@v.efi
            """);
        var staging = mount.NewPath("delta");
        Assert.Contains("Nothing staged yet", (await Run("--image", image.Disk, staging)).Stdout, StringComparison.Ordinal);

        var fetch = await Run("fetch", "--from", _server.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Contains(StagingFetch.ChunkPackName, Directory.GetFiles(staging).Select(Path.GetFileName));
        var install = await Run("--image", image.Disk, staging);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(v2, image.EspFile("/EFI/Linux/os_2.efi"));
        Assert.Equal(v1, image.EspFile("/EFI/Linux/os_1.efi"));
    }

    [Fact]
    public async Task A_chunk_neither_staged_nor_installed_stops_the_update_before_anything_is_written()
    {
        mount.Require();
        var (_, _, staging) = await SetupAsync();
        var fetch = await Run("fetch", "--from", _server!.Url, "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());

        // The downloader leaves one chunk out of the pack.
        var packPath = Path.Combine(staging, StagingFetch.ChunkPackName);
        byte[] smaller;
        IndexedChunk dropped;
        using (var stream = File.OpenRead(packPath))
        {
            var pack = ChunkPack.Read(stream, packPath);
            // One v1 lacks (the pack also holds v2's last chunk, which v1's file may have too).
            var installed = _server.Index("1").Chunks.Select(c => c.Id).ToHashSet();
            dropped = _server.Index("2").Chunks.First(c => c.Id == pack.Ids.First(id => !installed.Contains(id)));
            var output = new MemoryStream();
            var writer = new ChunkPackWriter(output);
            foreach (var id in pack.Ids.Where(id => id != dropped.Id))
            {
                var length = _server.Index("2").Chunks.First(c => c.Id == id).Length;
                writer.Add(id, pack.ReadStored(stream, id, length)!);
            }

            writer.Complete();
            smaller = output.ToArray();
        }

        File.WriteAllBytes(packPath, smaller);

        var install = await Run(staging);

        Assert.Equal(1, install.ExitCode);
        Assert.Equal(
            $"image-update: error: Cannot rebuild 'os_2.raw' from the staged update: 1 of its chunks ({dropped.Length} bytes) are neither in the staged {StagingFetch.ChunkPackName} nor in an installed copy; fetch version '2' again without --have.",
            install.Stderr.TrimEnd().Split('\n')[^1]);
        Assert.Equal(["os_1.raw"], Directory.GetFileSystemEntries(_dir["system"]).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Fetch_with_passes_the_installed_version_so_one_invocation_stages_a_delta()
    {
        mount.Require();
        var (_, v2, staging) = await SetupAsync();
        var downloader = _dir["downloader.sh"];
        File.WriteAllText(downloader, $"""
            #!/bin/sh
            set -e
            echo "$@" > '{_dir["arguments"]}'
            exec '{ImageUpdateProcess.ProgramPath}' --definitions '{_dir["defs"]}' --keyring '{_dir["keyring.gpg"]}' fetch --from '{_server!.Url}' "$@"

            """);
        File.SetUnixFileMode(downloader, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await Run("--fetch-with", downloader, staging);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"{staging} --have 1\n", File.ReadAllText(_dir["arguments"]));
        Assert.Equal(v2, File.ReadAllBytes(_dir["system/os_2.raw"]));
        Assert.True(_server.BytesSent < Size / 4, $"the server sent {_server.BytesSent} bytes for a {Size}-byte file");
    }

    [Fact]
    public void The_validator_accepts_a_staged_delta_and_still_refuses_a_hostile_one()
    {
        mount.Require();
        var pack = ChunkPackTestBytes();

        using (var staged = StagingValidator.Validate(Snapshot(dir =>
        {
            File.WriteAllText(Path.Combine(dir, "SHA256SUMS"), "manifest\n");
            File.WriteAllText(Path.Combine(dir, "SHA256SUMS.gpg"), "sig");
            File.WriteAllBytes(Path.Combine(dir, "os_2.raw.caibx"), [1, 2, 3]);
            File.WriteAllBytes(Path.Combine(dir, StagingFetch.ChunkPackName), pack);
        })))
        {
            Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", StagingFetch.ChunkPackName, "os_2.raw.caibx"], staged.Files.Select(f => f.Name));
            using var read = staged.OpenSeekable(StagingFetch.ChunkPackName);
            Assert.Equal(2, ChunkPack.Read(read, "pack").Count);
        }

        var linked = Snapshot(dir =>
        {
            File.WriteAllBytes(Path.Combine(dir, StagingFetch.ChunkPackName), pack);
            ImageUpdate.Foundation.Native.Libc.Link(Path.Combine(dir, StagingFetch.ChunkPackName), Path.Combine(dir, ".pack.link"));
        });
        Assert.Equal("is a hard link (2 names share its inode)", Assert.Throws<StagingValidationException>(() => StagingValidator.Validate(linked)).Problem);

        var symlinked = Snapshot(dir => File.CreateSymbolicLink(Path.Combine(dir, StagingFetch.ChunkPackName), "/etc/shadow"));
        Assert.Equal("is a symbolic link", Assert.Throws<StagingValidationException>(() => StagingValidator.Validate(symlinked)).Problem);

        var crowded = Snapshot(dir =>
        {
            File.WriteAllBytes(Path.Combine(dir, StagingFetch.ChunkPackName), pack);
            for (var i = 0; i < StagingLimits.DefaultMaxEntries; i++)
            {
                File.WriteAllText(Path.Combine(dir, $"c{i}.cacnk"), "");
            }
        });
        Assert.Equal($"it holds more than {StagingLimits.DefaultMaxEntries} entries", Assert.Throws<StagingValidationException>(() => StagingValidator.Validate(crowded)).Problem);
    }

    /// <summary>v1 in the first of two partition slots of a disk image, the second empty; the server publishes v1 and v2.</summary>
    private async Task<(byte[] V1, byte[] V2, string Staging, string Disk)> PartitionHostAsync()
    {
        var (v1, v2, staging) = await SetupAsync();
        File.Delete(_dir["system/os_1.raw"]);
        var disk = Formats.Gpt.GptTools.NewImage(_dir.Path, "disk.raw", 10L << 20);
        Formats.Gpt.GptTools.Sfdisk(disk, """
            label: gpt
            size=8192, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=os_1
            size=8192, type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709, name=_empty
            """);
        WriteSlot(disk, "os_1", v1);
        File.WriteAllText(_dir["defs/os.transfer"], $"""
            [Source]
            Type=url-file
            Path=https://updates.example.org/os
            MatchPattern=os_@v.raw

            [Target]
            Type=partition
            Path={disk}
            MatchPattern=os_@v
            MatchPartitionType=root-x86-64
            """);
        return (v1, v2, staging, disk);
    }

    /// <summary>A state directory whose index cache holds the server's index of <paramref name="version"/>, as an earlier install left it.</summary>
    private string CacheIndexOf(string version)
    {
        var bytes = File.ReadAllBytes(Path.Combine(_server!.Root, $"os_{version}.raw.caibx"));
        var cache = _dir["state/" + ImageUpdate.Update.Delta.IndexCache.DirectoryName];
        Directory.CreateDirectory(cache);
        var name = $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))}.{Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(version))}.caibx";
        File.WriteAllBytes(Path.Combine(cache, name), bytes);
        return _dir["state"];
    }

    private static List<string> CachedVersions(string state)
    {
        var cache = Path.Combine(state, ImageUpdate.Update.Delta.IndexCache.DirectoryName);
        return [.. Directory.GetFiles(cache).Select(p => System.Text.Encoding.UTF8.GetString(Convert.FromHexString(Path.GetFileName(p).Split('.')[1]))).Order(StringComparer.Ordinal)];
    }

    private static void FlipSlotByte(string disk, string name, long offset)
    {
        var slot = Formats.Gpt.GptTools.SfdiskJson(disk).Partitions.Single(p => p.Name == name);
        using var image = File.Open(disk, FileMode.Open, FileAccess.ReadWrite);
        image.Seek(((long)slot.Start * 512) + offset, SeekOrigin.Begin);
        var b = image.ReadByte();
        image.Seek(-1, SeekOrigin.Current);
        image.WriteByte((byte)(b ^ 0xff));
    }

    private Task<RunResult> RunWithState(string state, params string[] arguments) =>
        ImageUpdateProcess.RunAsync(
            new Dictionary<string, string?> { ["IMAGE_UPDATE_STATE_DIRECTORY"] = state },
            ["--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], .. arguments]);

    private static void WriteSlot(string disk, string name, byte[] bytes)
    {
        var slot = Formats.Gpt.GptTools.SfdiskJson(disk).Partitions.Single(p => p.Name == name);
        using var image = File.OpenWrite(disk);
        image.Seek((long)slot.Start * 512, SeekOrigin.Begin);
        image.Write(bytes);
    }

    private static byte[] ReadSlot(string disk, string name, int length)
    {
        var slot = Formats.Gpt.GptTools.SfdiskJson(disk).Partitions.Single(p => p.Name == name);
        using var image = File.OpenRead(disk);
        var bytes = new byte[length];
        image.Seek((long)slot.Start * 512, SeekOrigin.Begin);
        image.ReadExactly(bytes);
        return bytes;
    }

    private static byte[] ChunkPackTestBytes()
    {
        var output = new MemoryStream();
        var writer = new ChunkPackWriter(output);
        writer.Add(ChunkId.Compute("a"u8), ChunkStore.Compress("a"u8));
        writer.Add(ChunkId.Compute("b"u8), ChunkStore.Compress("b"u8));
        writer.Complete();
        return output.ToArray();
    }

    private string Snapshot(Action<string> fill)
    {
        var source = mount.NewPath("stage");
        ImageUpdate.Platform.Btrfs.KernelBtrfs.Instance.CreateSubvolume(source);
        fill(source);
        var snapshot = mount.NewPath("snapshot");
        ImageUpdate.Platform.Btrfs.KernelBtrfs.Instance.SnapshotReadOnly(source, snapshot);
        return snapshot;
    }

    private async Task<(byte[] V1, byte[] V2, string Staging)> SetupAsync()
    {
        var (v1, v2) = ChunkedOsServer.Versions(Size, 3);
        _server = new ChunkedOsServer(_dir);
        await _server.PublishAsync(_key, new Dictionary<string, byte[]> { ["1"] = v1, ["2"] = v2 });
        _server.Define(_key);
        await _server.StartAsync();
        File.WriteAllBytes(_dir["system/os_1.raw"], v1);
        var staging = mount.NewPath("delta");
        var first = await Run(staging);
        Assert.Contains("Nothing staged yet", first.Stdout, StringComparison.Ordinal);
        return (v1, v2, staging);
    }

    private Task<RunResult> Run(params string[] arguments) =>
        ImageUpdateProcess.RunAsync(null, ["--definitions", _dir["defs"], "--keyring", _dir["keyring.gpg"], .. arguments]);
}
