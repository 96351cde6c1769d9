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
        var reports = new List<double>();
        await PayloadWriter.WriteFileAsync(payload, _dir["target"], new Recorder(reports), CancellationToken.None);

        Assert.Equal(data, await File.ReadAllBytesAsync(_dir["target"]));
        Assert.True(reports.Count(r => r is > 0 and < 1) >= 3, $"progress went {string.Join(", ", reports)}");
        Assert.Equal(reports.Order(), reports);
        Assert.Equal(1.0, reports[^1]);
    }

    private sealed class Recorder(List<double> reports) : IProgress<double>
    {
        public void Report(double value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
