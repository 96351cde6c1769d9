using System.IO.Compression;
using System.Security.Cryptography;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Transfers;

namespace ImageUpdate.Tests.Update.Transfers;

/// <summary>
/// A regular-file copy reports progress as it goes (what `serve`'s Job.Progress and the terminal line
/// show), against the file's size, or against the bytes read when the source is compressed.
/// </summary>
public sealed class FileWriteProgressTests : IDisposable
{
    private readonly TempDirectory _dir = new("file-progress");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Progress_rises_in_steps_while_a_file_is_written(bool compressed)
    {
        var data = RandomNumberGenerator.GetBytes(24 << 20);
        var source = _dir["source"];
        if (compressed)
        {
            await using var file = File.Create(source);
            await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            await gzip.WriteAsync(data);
        }
        else
        {
            await File.WriteAllBytesAsync(source, data);
        }

        var payload = SourcePayload.FromStream(PayloadKind.File, source, _ => Task.FromResult<Stream>(File.OpenRead(source)));
        var progress = new List<TransferProgress>();
        await PayloadWriter.WriteFileAsync(payload, _dir["target"], new Recorder(progress), CancellationToken.None);

        Assert.Equal(data, await File.ReadAllBytesAsync(_dir["target"]));
        var reports = progress.Select(p => p.Fraction!.Value).ToList();
        Assert.True(reports.Count(r => r is > 0 and < 1) >= 3, $"progress went {string.Join(", ", reports)}");
        Assert.Equal(reports.Order(), reports);
        Assert.Equal(1.0, reports[^1]);
        Assert.Equal(data.Length, progress[^1].Bytes);
    }

    [Fact]
    public async Task A_tar_reports_the_bytes_read_of_it_against_its_length()
    {
        var tree = Directory.CreateDirectory(_dir["tree"]).FullName;
        await File.WriteAllBytesAsync(Path.Combine(tree, "big"), RandomNumberGenerator.GetBytes(4 << 20));
        var tar = _dir["payload.tar"];
        await System.Formats.Tar.TarFile.CreateFromDirectoryAsync(tree, tar, includeBaseDirectory: false);

        var payload = SourcePayload.FromStream(PayloadKind.Tar, tar, _ => Task.FromResult<Stream>(File.OpenRead(tar)));
        var progress = new List<TransferProgress>();
        await PayloadWriter.WriteDirectoryAsync(payload, _dir["extracted"], new Recorder(progress), CancellationToken.None);

        var length = new FileInfo(tar).Length;
        Assert.True(progress.Count(p => p.Bytes > 0 && p.Bytes < length) >= 3, $"progress went {string.Join(", ", progress)}");
        Assert.All(progress, p => Assert.Equal(length, p.Total));
        Assert.Equal(progress.Select(p => p.Bytes).Order(), progress.Select(p => p.Bytes));
        Assert.Equal(length, progress[^1].Bytes);
    }

    /// <summary>Records every report, synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
    private sealed class Recorder(List<TransferProgress> reports) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
