using ImageUpdate.Formats.Casync;
using ImageUpdate.Tests.Formats.Verification.Signing;
using ImageUpdate.Tests.Platform.Btrfs;
using ImageUpdate.Tests.Support;
using ImageUpdate.Tests.Update.Delta;
using ImageUpdate.Update.Engine;
using ImageUpdate.Update.Staging;

namespace ImageUpdate.Tests.Update.Staging;

/// <summary>
/// The staged delta against a real web server: v1 (64 MiB) is installed in a partition slot, v2 (5%
/// rewritten in 1 MiB runs) is published with `publish --chunk-store` into a directory served by
/// nginx on 127.0.0.1, the program's `fetch --from http://127.0.0.1:... --have 1 STAGING` stages the
/// new index and one pack, and `image-update STAGING` installs v2 into the other slot byte for byte,
/// while nginx's access log shows it sent at most 7% of v2. A chunk tampered with on the server or in
/// the pack is refused with nothing pending; an old index gone from the server stages the whole file.
/// </summary>
[Collection(BtrfsCollection.Name)]
public sealed class StagedDeltaNginxTests(BtrfsLoopMount mount, SigningKeys keys) : IClassFixture<SigningKeys>, IDisposable
{
    private const int ImageBytes = 64 << 20;

    private readonly DeltaScenario _scenario = new(keys.Ed25519, ImageBytes);

    public void Dispose() => _scenario.Dispose();

    [Fact]
    public async Task Fetch_have_over_nginx_stages_under_7_percent_and_the_host_installs_v2_byte_for_byte()
    {
        mount.Require();
        await using var nginx = await StartAsync();
        var staging = await NewStagingAsync();
        var before = nginx.LoggedRequests;

        var fetch = await Run("fetch", "--from", Url(nginx), "--have", "1", staging);

        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", StagingFetch.ChunkPackName, "os_2.raw.caibx"], Staged(staging));
        var sent = nginx.BodyBytesSent(before);
        Assert.True(sent <= _scenario.V2.Length * 0.07, $"nginx sent {sent} bytes for a {_scenario.V2.Length}-byte v2");
        var staged = Directory.GetFiles(staging).Sum(f => new FileInfo(f).Length);
        Assert.True(staged <= _scenario.V2.Length * 0.07, $"{staged} bytes staged for a {_scenario.V2.Length}-byte v2");
        Assert.DoesNotContain(nginx.Entries().Skip(before), e => e.Uri == "/os_2.raw");
        Assert.All(nginx.Entries().Skip(before), e => Assert.Equal(200, e.Status));
        var fetched = nginx.LoggedRequests;

        var install = await Run(staging);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Contains("Installed 2", install.Stdout, StringComparison.Ordinal);
        Assert.Equal(_scenario.V2, _scenario.Installed("2", ImageBytes));
        Assert.Equal(_scenario.V1, _scenario.Installed("1", ImageBytes));
        Assert.Equal(fetched, nginx.LoggedRequests);
    }

    [Fact]
    public async Task A_tampered_chunk_on_nginx_is_refused_at_fetch_and_nothing_is_staged_or_pending()
    {
        mount.Require();
        await using var nginx = await StartAsync();
        var staging = await NewStagingAsync();
        var tampered = (await ChunksOnlyV2HasAsync())[1];
        var store = new ChunkStore(_scenario.Store);
        File.WriteAllBytes(store.PathOf(tampered.Id), ChunkStore.Compress(DeltaTestData.Random(tampered.Length, 17)));

        var fetch = await Run("fetch", "--from", Url(nginx), "--have", "1", staging);

        Assert.Equal(1, fetch.ExitCode);
        Assert.Contains(tampered.Id.ToString(), fetch.Stderr, StringComparison.Ordinal);
        Assert.Empty(Staged(staging));
        var install = await Run(staging);
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Contains("Nothing staged yet", install.Stdout, StringComparison.Ordinal);
        Assert.False(_scenario.AnyPending());
        Assert.Equal(_scenario.V1, _scenario.Installed("1", ImageBytes));
    }

    [Fact]
    public async Task A_chunk_the_downloader_altered_in_the_pack_is_refused_by_the_host_and_nothing_is_pending()
    {
        mount.Require();
        await using var nginx = await StartAsync();
        var staging = await NewStagingAsync();
        var fetch = await Run("fetch", "--from", Url(nginx), "--have", "1", staging);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());

        // The untrusted side swaps one chunk's bytes for others of the same length, under the same ID.
        var index = ReadIndex(Path.Combine(staging, "os_2.raw.caibx"));
        var packPath = Path.Combine(staging, StagingFetch.ChunkPackName);
        var output = new MemoryStream();
        ChunkId altered;
        using (var stream = File.OpenRead(packPath))
        {
            var pack = ChunkPack.Read(stream, packPath);
            altered = pack.Ids[pack.Count / 2];
            var writer = new ChunkPackWriter(output);
            foreach (var id in pack.Ids)
            {
                var length = index.Chunks.First(c => c.Id == id).Length;
                writer.Add(id, id == altered ? ChunkStore.Compress(DeltaTestData.Random(length, 19)) : pack.ReadStored(stream, id, length)!);
            }

            writer.Complete();
        }

        File.WriteAllBytes(packPath, output.ToArray());

        var install = await Run(staging);

        Assert.Equal(1, install.ExitCode);
        Assert.Contains(altered.ToString(), install.Stderr, StringComparison.Ordinal);
        Assert.False(_scenario.AnyPending());
        Assert.DoesNotContain(Formats.Gpt.GptTools.SfdiskJson(_scenario.Disk).Partitions, p => p.Name == "os-2" && p.Type == new Guid(DeltaScenario.RootType));
        Assert.Equal(_scenario.V1, _scenario.Installed("1", ImageBytes));
    }

    [Fact]
    public async Task With_the_old_index_gone_from_nginx_the_whole_file_is_staged_and_installed()
    {
        mount.Require();
        await using var nginx = await StartAsync();
        var staging = await NewStagingAsync();
        File.Delete(Path.Combine(_scenario.Server, "os_1.raw.caibx"));
        var before = nginx.LoggedRequests;

        var fetch = await Run("fetch", "--from", Url(nginx), "--have", "1", staging);

        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Equal(["SHA256SUMS", "SHA256SUMS.gpg", "os_2.raw"], Staged(staging));
        Assert.Contains("The server has no index 'os_1.raw.caibx' any more: staging 'os_2.raw' whole.", fetch.Stdout + fetch.Stderr, StringComparison.Ordinal);
        var entries = nginx.Entries().Skip(before).ToList();
        Assert.Contains((404, entries.Single(e => e.Uri == "/os_1.raw.caibx").Bytes, "/os_1.raw.caibx"), entries);
        Assert.Contains((200, (long)_scenario.V2.Length, "/os_2.raw"), entries);
        Assert.DoesNotContain(entries, e => e.Uri.StartsWith("/default.castr/", StringComparison.Ordinal));

        var install = await Run(staging);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(_scenario.V2, _scenario.Installed("2", ImageBytes));
        Assert.Equal(_scenario.V1, _scenario.Installed("1", ImageBytes));
    }

    private static string Url(NginxServer nginx) => nginx.BaseAddress.ToString().TrimEnd('/');

    private static CasyncIndex ReadIndex(string path)
    {
        using var file = File.OpenRead(path);
        return CasyncIndex.Read(file, path);
    }

    private static string[] Staged(string staging) =>
        [.. Directory.GetFiles(staging).Select(Path.GetFileName).Where(n => !n!.StartsWith('.')).Order(StringComparer.Ordinal)!];

    /// <summary>nginx serving the scenario's server directory, and v1 installed (whole, from nginx) into the first slot.</summary>
    private async Task<NginxServer> StartAsync()
    {
        var nginx = await NginxServer.StartAsync(_scenario.Server);
        try
        {
            _scenario.Define(Url(nginx));
            using (var engine = _scenario.Engine(new CollectingLogger()))
            {
                await engine.UpdateAsync("1", UpdateActions.All, CancellationToken.None);
            }

            Assert.Equal(_scenario.V1, _scenario.Installed("1", ImageBytes));
            return nginx;
        }
        catch
        {
            await nginx.DisposeAsync();
            throw;
        }
    }

    /// <summary>A staging subvolume on the BTRFS mount, made by the program's first call.</summary>
    private async Task<string> NewStagingAsync()
    {
        var staging = mount.NewPath("nginx-delta");
        var first = await Run(staging);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Nothing staged yet", first.Stdout, StringComparison.Ordinal);
        return staging;
    }

    private async Task<List<IndexedChunk>> ChunksOnlyV2HasAsync()
    {
        var v1 = (await DeltaTestData.IndexAsync(_scenario.V1, null)).Chunks.Select(c => c.Id).ToHashSet();
        return [.. (await DeltaTestData.IndexAsync(_scenario.V2, null)).Chunks.Where(c => !v1.Contains(c.Id))];
    }

    private Task<RunResult> Run(params string[] arguments) =>
        ImageUpdateProcess.RunAsync(null, ["--definitions", _scenario.Definitions, "--keyring", Path.Combine(_scenario.Server, "keyring.gpg"), .. arguments]);
}
