using System.Formats.Tar;
using ImageUpdate.Formats.Compression;
using ImageUpdate.Platform.Archives;
using ImageUpdate.Platform.FileSystem;
using ImageUpdate.Tests.Platform.FileSystem;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Platform.Archives;

public sealed class TarExtractorTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("", "pax")]
    [InlineData("--gzip", "pax")]
    [InlineData("--xz", "pax")]
    [InlineData("--zstd", "pax")]
    [InlineData("--bzip2", "gnu")]
    public async Task ExtractAsync_reproduces_what_GNU_tar_archived(string compression, string format)
    {
        var source = _directory.Combine("source");
        SampleTree.Create(source);
        var archive = _directory.Combine("image.tar");
        // pax keeps sub-second times; gnu rounds them down to seconds, which the comparison allows for.
        string[] arguments = [.. compression.Length > 0 ? new[] { compression } : [], $"--format={format}", "--numeric-owner", "-cf", archive, "-C", source, "."];
        Tool.Run("tar", arguments);
        var destination = _directory.Combine("destination");

        await using (var file = File.OpenRead(archive))
        {
            var (_, tar) = await Decompression.OpenAutoDetectAsync(file);
            await using (tar)
            {
                await TarExtractor.ExtractAsync(tar, destination, CancellationToken.None);
            }
        }

        var expected = TreeSnapshot.Take(source);
        var actual = TreeSnapshot.Take(destination);
        if (format == "gnu")
        {
            expected = WholeSeconds(expected);
            actual = WholeSeconds(actual);
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task ExtractAsync_matches_what_GNU_tar_extracts_from_the_same_archive()
    {
        var source = _directory.Combine("source");
        SampleTree.Create(source);
        var archive = _directory.Combine("image.tar.zst");
        Tool.Run("tar", "--zstd", "--format=pax", "--numeric-owner", "-cf", archive, "-C", source, ".");
        var byTar = _directory.Combine("by-tar");
        Directory.CreateDirectory(byTar);
        Tool.Run("tar", "--zstd", "--numeric-owner", "-xpf", archive, "-C", byTar);
        var byUs = _directory.Combine("by-us");

        await using (var tar = Decompression.Open(File.OpenRead(archive), CompressionKind.Zstd))
        {
            await TarExtractor.ExtractAsync(tar, byUs, CancellationToken.None);
        }

        Assert.Equal(TreeSnapshot.Take(byTar), TreeSnapshot.Take(byUs));
    }

    [Theory]
    [InlineData("../escape", "contains '..'")]
    [InlineData("a/../../escape", "contains '..'")]
    [InlineData("./..", "contains '..'")]
    [InlineData("/absolute", "is absolute")]
    [InlineData("//absolute", "is absolute")]
    public async Task ExtractAsync_refuses_a_file_whose_name_leaves_the_destination(string name, string expected)
    {
        var archive = MakeArchive(writer => AddFile(writer, name, "evil"));
        var destination = _directory.Combine("destination");

        var error = await Assert.ThrowsAsync<ArchiveException>(() => TarExtractor.ExtractAsync(archive, destination, CancellationToken.None));

        Assert.Contains(expected, error.Message);
        Assert.Contains($"'{name}'", error.Message);
        Assert.False(File.Exists(_directory.Combine("escape")));
    }

    [Theory]
    [InlineData(TarEntryType.RegularFile, "escape/file")]
    [InlineData(TarEntryType.Directory, "escape/dir")]
    [InlineData(TarEntryType.SymbolicLink, "escape/link")]
    [InlineData(TarEntryType.RegularFile, "escape/deeper/file")]
    public async Task ExtractAsync_refuses_to_go_through_a_symlink_an_earlier_entry_made(TarEntryType type, string name)
    {
        var outside = _directory.Combine("outside");
        Directory.CreateDirectory(outside);
        var archive = MakeArchive(writer =>
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "escape") { LinkName = outside });
            if (type == TarEntryType.RegularFile)
            {
                AddFile(writer, name, "evil");
            }
            else
            {
                var entry = new PaxTarEntry(type, name);
                if (type == TarEntryType.SymbolicLink)
                {
                    entry.LinkName = "/etc/shadow";
                }

                writer.WriteEntry(entry);
            }
        });

        var error = await Assert.ThrowsAsync<ArchiveException>(() => TarExtractor.ExtractAsync(archive, _directory.Combine("destination"), CancellationToken.None));

        Assert.Contains("'escape' on its path is a symlink, not a directory", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
    }

    [Fact]
    public async Task ExtractAsync_refuses_to_go_through_a_symlink_already_in_the_destination()
    {
        var outside = _directory.Combine("outside");
        Directory.CreateDirectory(outside);
        var destination = _directory.Combine("destination");
        Directory.CreateDirectory(destination);
        File.CreateSymbolicLink(Path.Combine(destination, "etc"), outside);
        var archive = MakeArchive(writer => AddFile(writer, "etc/passwd", "evil"));

        var error = await Assert.ThrowsAsync<ArchiveException>(() => TarExtractor.ExtractAsync(archive, destination, CancellationToken.None));

        Assert.Contains("'etc' on its path is a symlink", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(outside));
    }

    [Fact]
    public async Task ExtractAsync_replaces_a_symlink_with_a_later_file_of_the_same_name_instead_of_writing_through_it()
    {
        var victim = _directory.Combine("victim");
        File.WriteAllText(victim, "precious");
        var archive = MakeArchive(writer =>
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "name") { LinkName = victim });
            AddFile(writer, "name", "replacement");
        });
        var destination = _directory.Combine("destination");

        await TarExtractor.ExtractAsync(archive, destination, CancellationToken.None);

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal(FileKind.Regular, FileMetadata.GetStatus(Path.Combine(destination, "name")).Kind);
        Assert.Equal("replacement", File.ReadAllText(Path.Combine(destination, "name")));
    }

    [Theory]
    [InlineData("../victim", "contains '..'")]
    [InlineData("/etc/passwd", "is absolute")]
    [InlineData("escape/victim", "not a directory")]
    [InlineData("missing", "is not a file extracted before it")]
    [InlineData("dir", "is not a file extracted before it")]
    public async Task ExtractAsync_refuses_a_hard_link_to_anything_but_an_earlier_file(string target, string expected)
    {
        File.WriteAllText(_directory.Combine("victim"), "precious");
        var archive = MakeArchive(writer =>
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "escape") { LinkName = _directory.Path });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "dir"));
            writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "link") { LinkName = target });
        });

        var error = await Assert.ThrowsAsync<ArchiveException>(() => TarExtractor.ExtractAsync(archive, _directory.Combine("destination"), CancellationToken.None));

        Assert.Contains(expected, error.Message);
        Assert.Equal(1u, FileMetadata.GetStatus(_directory.Combine("victim")).LinkCount);
    }

    [Theory]
    [InlineData(TarEntryType.CharacterDevice)]
    [InlineData(TarEntryType.BlockDevice)]
    public async Task ExtractAsync_refuses_device_nodes(TarEntryType type)
    {
        var archive = MakeArchive(writer => writer.WriteEntry(new PaxTarEntry(type, "dev/sda") { DeviceMajor = 8, DeviceMinor = 0 }));

        var error = await Assert.ThrowsAsync<ArchiveException>(() => TarExtractor.ExtractAsync(archive, _directory.Combine("destination"), CancellationToken.None));

        Assert.Contains("Refusing entry 'dev/sda': device nodes are not unpacked", error.Message);
        Assert.False(File.Exists(_directory.Combine("destination", "dev", "sda")));
    }

    [Fact]
    public async Task ExtractAsync_recreates_fifos()
    {
        var archive = MakeArchive(writer => writer.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "run/fifo") { Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead }));
        var destination = _directory.Combine("destination");

        await TarExtractor.ExtractAsync(archive, destination, CancellationToken.None);

        var status = FileMetadata.GetStatus(Path.Combine(destination, "run", "fifo"));
        Assert.Equal(FileKind.Fifo, status.Kind);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, status.Mode);
    }

    [Fact]
    public async Task ExtractAsync_escapes_control_characters_in_the_entry_name_it_reports()
    {
        var archive = MakeArchive(writer => AddFile(writer, "../\u001b[31mred\t\u00e9", "evil"));

        var error = await Assert.ThrowsAsync<ArchiveException>(() => TarExtractor.ExtractAsync(archive, _directory.Combine("destination"), CancellationToken.None));

        Assert.Contains(@"'../\x1b[31mred\t\xc3\xa9'", error.Message);
    }

    [Fact]
    public async Task ExtractAsync_reports_an_archive_cut_inside_a_file()
    {
        var source = _directory.Combine("source");
        Directory.CreateDirectory(source);
        File.WriteAllBytes(Path.Combine(source, "file"), new byte[100_000]);
        var archive = _directory.Combine("image.tar");
        Tool.Run("tar", "-cf", archive, "-C", source, "file");
        var bytes = File.ReadAllBytes(archive)[..50_000];

        var error = await Assert.ThrowsAsync<ArchiveException>(() => TarExtractor.ExtractAsync(new MemoryStream(bytes), _directory.Combine("destination"), CancellationToken.None));

        Assert.Contains("'file'", error.Message);
    }

    [Fact]
    public async Task ExtractAsync_reports_a_corrupt_header()
    {
        var bytes = new byte[1024];
        "not a tar header at all"u8.CopyTo(bytes);
        bytes[148] = (byte)'x';

        var error = await Assert.ThrowsAsync<ArchiveException>(() => TarExtractor.ExtractAsync(new MemoryStream(bytes), _directory.Combine("destination"), CancellationToken.None));

        Assert.Contains("The tar archive is malformed or truncated", error.Message);
    }

    [Fact]
    public async Task ExtractAsync_surfaces_truncation_of_the_compressed_stream_after_the_last_entry()
    {
        var source = _directory.Combine("source");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "file"), "x");
        var archive = _directory.Combine("image.tar.xz");
        Tool.Run("tar", "--xz", "-cf", archive, "-C", source, "file");
        var bytes = File.ReadAllBytes(archive)[..^4];

        await using var tar = Decompression.Open(new MemoryStream(bytes), CompressionKind.Xz);
        await Assert.ThrowsAsync<DecompressionException>(() => TarExtractor.ExtractAsync(tar, _directory.Combine("destination"), CancellationToken.None));
    }

    private static SortedDictionary<string, string> WholeSeconds(SortedDictionary<string, string> snapshot) =>
        new(snapshot.ToDictionary(e => e.Key, e => System.Text.RegularExpressions.Regex.Replace(e.Value, @"mtime (\d+)\d{6}", "mtime $1")), StringComparer.Ordinal);

    private static MemoryStream MakeArchive(Action<TarWriter> write)
    {
        // The hostile archives are written with System.Formats.Tar because GNU tar strips leading
        // "/" and "../" when it creates an archive.
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(writer);
        }

        stream.Position = 0;
        return stream;
    }

    private static void AddFile(TarWriter writer, string name, string content) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) });
}
