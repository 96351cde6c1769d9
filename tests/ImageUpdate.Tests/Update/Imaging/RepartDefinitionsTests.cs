using System.Text;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Tests.Update.Imaging;

public sealed class RepartDefinitionsTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Every_supported_key_is_read()
    {
        var p = Parse("""
            [Partition]
            Type=esp
            Label=My ESP
            UUID=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee
            Priority=-3
            Weight=2000
            PaddingWeight=10
            SizeMinBytes=64M
            SizeMaxBytes=1G
            PaddingMinBytes=1M
            PaddingMaxBytes=2M
            Format=vfat
            Flags=0x8000000000000001
            ReadOnly=yes
            NoAuto=off
            GrowFileSystem=1
            """);

        Assert.Equal(PartitionType.Esp, p.Type);
        Assert.Equal("My ESP", p.Label);
        Assert.Equal(new Guid("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"), p.Uuid);
        Assert.Equal(-3, p.Priority);
        Assert.Equal(2000U, p.Weight);
        Assert.Equal(10U, p.PaddingWeight);
        Assert.Equal(64UL << 20, p.SizeMinBytes);
        Assert.Equal(1UL << 30, p.SizeMaxBytes);
        Assert.Equal(1UL << 20, p.PaddingMinBytes);
        Assert.Equal(2UL << 20, p.PaddingMaxBytes);
        Assert.Equal(RepartFormat.Vfat, p.Format);
        Assert.Equal(0x8000000000000001UL, p.Flags);
        Assert.True(p.ReadOnly);
        Assert.False(p.NoAuto);
        Assert.True(p.GrowFileSystem);
    }

    [Fact]
    public void Unset_keys_keep_repart_defaults_and_empty_values_reset_them()
    {
        var p = Parse("[Partition]\nType=root\nWeight=5\nWeight=\nPriority=4\nPriority=\nReadOnly=yes\nReadOnly=\nFormat=vfat\nFormat=\nUUID=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\nUUID=\n");

        Assert.Equal(new Guid("4f68bce3-e8cd-4db1-96e7-fbcaf984b709"), p.Type);
        Assert.Null(p.Label);
        Assert.Null(p.Uuid);
        Assert.Equal(0, p.Priority);
        Assert.Equal(RepartPartition.DefaultWeight, p.Weight);
        Assert.Null(p.SizeMinBytes);
        Assert.Equal(RepartFormat.None, p.Format);
        Assert.Null(p.ReadOnly);
    }

    [Fact]
    public void An_empty_label_is_a_label_and_percent_percent_is_a_percent()
    {
        Assert.Equal(string.Empty, Parse("[Partition]\nType=esp\nLabel=\n").Label);
        Assert.Equal("100%", Parse("[Partition]\nType=esp\nLabel=100%%\n").Label);
    }

    [Theory]
    [InlineData("SizeMinBytes=33554433", 33554432UL)]
    [InlineData("SizeMinBytes=1", 0UL)]
    [InlineData("SizeMaxBytes=40000000", 40001536UL)]
    [InlineData("SizeMaxBytes=1G 1K", 1073745920UL)]
    [InlineData("SizeMinBytes=12.5M", 13107200UL)]
    [InlineData("SizeMinBytes= 4 K", 4096UL)]
    [InlineData("SizeMinBytes=1T", 1UL << 40)]
    [InlineData("SizeMinBytes=8192B", 8192UL)]
    public void Sizes_are_1024_based_and_rounded_to_4096_as_debians_repart_rounds_them(string line, ulong expected)
    {
        var p = Parse($"[Partition]\nType=root\n{line}\n");

        Assert.Equal(expected, line.StartsWith("SizeMin", StringComparison.Ordinal) ? p.SizeMinBytes : p.SizeMaxBytes);
    }

    [Theory]
    [InlineData("Type=", "Type: '' is not a known partition type name nor a UUID")]
    [InlineData("Type=root-x86_65", "Type: 'root-x86_65' is not a known partition type")]
    [InlineData("Type=00000000-0000-0000-0000-000000000000", "is not a known partition type")]
    [InlineData("Type={4f68bce3-e8cd-4db1-96e7-fbcaf984b709}", "is not a known partition type")]
    [InlineData("Label=0123456789012345678901234567890123456", "longer than the 36 UTF-16 code units")]
    [InlineData("Label=%m", "uses a '%' specifier")]
    [InlineData("UUID=null", "without a unique GUID")]
    [InlineData("UUID=aaaaaaaa-bbbb-4ccc-8ddd", "UUID: 'aaaaaaaa-bbbb-4ccc-8ddd' is not a UUID")]
    [InlineData("UUID=00000000-0000-0000-0000-000000000000", "is not a UUID")]
    [InlineData("Priority=high", "Priority: 'high' is not a 32-bit integer")]
    [InlineData("Priority=2147483648", "is not a 32-bit integer")]
    [InlineData("Priority=-2147483649", "is not a 32-bit integer")]
    [InlineData("Priority=--1", "is not a 32-bit integer")]
    [InlineData("Weight=1000001", "Weight: '1000001' is not a weight from 0 to 1000000")]
    [InlineData("Weight=-1", "is not a weight")]
    [InlineData("PaddingWeight=lots", "PaddingWeight: 'lots' is not a weight")]
    [InlineData("SizeMinBytes=", "SizeMinBytes: '' is not a size")]
    [InlineData("SizeMinBytes=-1M", "is not a size")]
    [InlineData("SizeMinBytes=10MiB", "SizeMinBytes: '10MiB' is not a size")]
    [InlineData("SizeMaxBytes=1K 1G", "SizeMaxBytes: '1K 1G' is not a size")]
    [InlineData("SizeMaxBytes=16E", "is not a size")]
    [InlineData("PaddingMinBytes=1.5.5M", "PaddingMinBytes: '1.5.5M' is not a size")]
    [InlineData("PaddingMaxBytes=x", "PaddingMaxBytes: 'x' is not a size")]
    [InlineData("Format=ext4", "Format: 'ext4' is not a file system image-update can create")]
    [InlineData("Format=fat", "is not a file system image-update can create")]
    [InlineData("Flags=0x1G", "Flags: '0x1G' is not an unsigned 64-bit number")]
    [InlineData("Flags=18446744073709551616", "is not an unsigned 64-bit number")]
    [InlineData("ReadOnly=maybe", "ReadOnly: 'maybe' is not a boolean")]
    [InlineData("NoAuto=2", "NoAuto: '2' is not a boolean")]
    [InlineData("GrowFileSystem=sure", "GrowFileSystem: 'sure' is not a boolean")]
    [InlineData("CopyFiles=/usr", "CopyFiles: image-update copies files into Format=erofs or Format=squashfs partitions only.")]
    [InlineData("Encrypt=tpm2", "Encrypt: 'tpm2' is not supported")]
    [InlineData("Verity=data", "Verity: Verity=data needs VerityMatchKey= to find the other partitions of its triple.")]
    [InlineData("CopyBlocks=auto", "CopyBlocks: 'auto' would copy from the running system, which an image build must not do")]
    [InlineData("Format=erofs", "Format: a read-only erofs file system needs CopyFiles= to have something in it.")]
    [InlineData("CopyFiles=usr", "CopyFiles: 'usr' is not SOURCE[:TARGET] with two absolute paths without '.' or '..' components")]
    [InlineData("CopyFiles=/usr/../etc:/", "is not SOURCE[:TARGET] with two absolute paths")]
    [InlineData("CopyFiles=/a:/b:ro", "CopyFiles: '/a:/b:ro' is not SOURCE[:TARGET] (image-update takes no copy options)")]
    [InlineData("CopyBlocks=data.img", "CopyBlocks: 'data.img' is not an absolute path")]
    [InlineData("Minimize=maybe", "Minimize: 'maybe' is not off, best, guess or a boolean")]
    [InlineData("Minimize=best", "Minimize: applies to Format=erofs/squashfs, CopyBlocks= and Verity=hash partitions here")]
    [InlineData("Verity=sig", "Verity: 'sig' is not off, data, hash or signature")]
    [InlineData("VerityMatchKey=a/b", "VerityMatchKey: 'a/b' is not a word of printable ASCII without '/'")]
    [InlineData("VerityDataBlockSizeBytes=3000", "VerityDataBlockSizeBytes: '3000' is not a verity block size (a power of two from 512 to 4096)")]
    [InlineData("VerityHashBlockSizeBytes=8K", "VerityHashBlockSizeBytes: '8K' is not a verity block size")]
    [InlineData("VerityDataBlockSizeBytes=4096", "VerityDataBlockSizeBytes: applies to the Verity=hash partition only.")]
    [InlineData("SplitName=a/b", "SplitName: 'a/b' is not '-' nor a file name part of printable ASCII without '/'")]
    [InlineData("SplitName=%m", "SplitName: '%m' uses a '%' specifier other than %t, %T and %%")]
    [InlineData("Compression=zstd", "Compression: applies to Format=erofs and Format=squashfs only.")]
    [InlineData("Compression=z-std", "Compression: 'z-std' is not a compressor name")]
    [InlineData("CompressionLevel=101", "CompressionLevel: '101' is not a compression level from 0 to 100")]
    [InlineData("CompressionLevel=5", "CompressionLevel: needs Compression= to say which compressor it is for.")]
    public void An_invalid_value_is_an_error_naming_the_file_and_line(string line, string fragment)
    {
        var e = Assert.Throws<ConfigurationException>(() => Parse($"[Partition]\nType=esp\n{line}\n"));

        Assert.Equal("50-part.conf", e.File);
        Assert.Equal(3, e.Line);
        Assert.StartsWith("50-part.conf:3: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[Partition]\nLabel=x\n", "Type= is not set")]
    [InlineData("[Partition]\nType=root\nSizeMinBytes=2M\nSizeMaxBytes=1M\n", "SizeMinBytes= (2097152) is larger than SizeMaxBytes= (1048576)")]
    [InlineData("[Partition]\nType=root\nPaddingMinBytes=8K\nPaddingMaxBytes=4K\n", "PaddingMinBytes= (8192) is larger than PaddingMaxBytes= (4096)")]
    [InlineData("[Partition\nType=root\n", "Invalid section header")]
    [InlineData("[Other]\nType=root\n", "Type= is not set")]
    public void An_inconsistent_file_is_an_error_naming_the_file(string content, string fragment)
    {
        var e = Assert.Throws<ConfigurationException>(() => Parse(content));

        Assert.StartsWith("50-part.conf", e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Type=usr\nFormat=erofs\nCopyFiles=/usr:/\nCompression=gzip\n", 5, "Compression: 'gzip' is not a compressor for erofs (lz4, lz4hc, lzma, deflate, libdeflate, zstd).")]
    [InlineData("Type=usr\nFormat=squashfs\nCopyFiles=/usr:/\nCompression=lz4hc\n", 5, "Compression: 'lz4hc' is not a compressor for squashfs (gzip, lzo, lz4, xz, zstd, lzma).")]
    [InlineData("Type=usr-verity\nVerity=hash\nVerityMatchKey=usr\nFormat=vfat\n", 3, "Verity: a Verity=hash partition is written by image-update itself and takes no Format=, CopyFiles= or CopyBlocks=.")]
    [InlineData("Type=esp\nFormat=vfat\nCopyFiles=/boot:/\n", 4, "CopyFiles: image-update copies files into Format=erofs or Format=squashfs partitions only.")]
    [InlineData("Type=usr\nCopyBlocks=/data.img\nFormat=erofs\nCopyFiles=/usr:/\n", 3, "CopyBlocks: cannot be combined with Format= or CopyFiles=: the blocks are the partition's content.")]
    public void A_content_key_that_cannot_be_honoured_names_its_file_and_line(string body, int line, string message)
    {
        var e = Assert.Throws<ConfigurationException>(() => Parse("[Partition]\n" + body));

        Assert.Equal($"50-part.conf:{line}: {message}", e.Message);
    }

    [Fact]
    public void Verity_content_keys_are_read_as_repart_262_reads_them()
    {
        var data = Parse("[Partition]\nType=usr\nLabel=demo_%A\nFormat=erofs\nCopyFiles=/usr:/\nCopyFiles=/etc/os-release:/lib/os-release\nCompression=zstd\nCompressionLevel=19\nVerity=data\nVerityMatchKey=usr\nMinimize=yes\nSplitName=usr-%t\n", "7.1");
        var hash = Parse("[Partition]\nType=usr-verity\nVerity=hash\nVerityMatchKey=usr\nVerityDataBlockSizeBytes=1K\nVerityHashBlockSizeBytes=512\nMinimize=guess\nSplitName=-\n");

        Assert.Equal(("demo_7.1", RepartFormat.Erofs, "zstd", 19, RepartVerityRole.Data, "usr", RepartMinimize.Best, "usr-%t"),
            (data.Label, data.Format, data.Compression, data.CompressionLevel, data.Verity, data.VerityMatchKey, data.Minimize, data.SplitName));
        Assert.Equal([new RepartCopyFiles("/usr", "/"), new RepartCopyFiles("/etc/os-release", "/lib/os-release")], data.CopyFiles);
        Assert.Equal((RepartVerityRole.Hash, 1024, 512, RepartMinimize.Guess, "-"), (hash.Verity, hash.VerityDataBlockSize, hash.VerityHashBlockSize, hash.Minimize, hash.SplitName));
        Assert.True(data.HasContent);
        Assert.Empty(Parse("[Partition]\nType=usr\nFormat=erofs\nCopyFiles=/usr\nCopyFiles=\nCopyFiles=/x:/\n").CopyFiles.Where(c => c.Source == "/usr"));
    }

    [Theory]
    [InlineData("[Partition]\nType=usr-verity\nVerity=hash\nVerityMatchKey=usr\n", null, "b.conf", 3, "Verity: no Verity=data partition has VerityMatchKey=usr, so there is nothing to hash.")]
    [InlineData("[Partition]\nType=usr-verity-sig\nVerity=signature\nVerityMatchKey=usr\n", "[Partition]\nType=usr\nVerity=data\nVerityMatchKey=usr\n", "b.conf", 3, "Verity: no Verity=hash partition has VerityMatchKey=usr, so there is no root hash to sign.")]
    [InlineData("[Partition]\nType=usr\nVerity=data\nVerityMatchKey=usr\n", "[Partition]\nType=usr\n\nVerity=data\nVerityMatchKey=usr\n", "c.conf", 4, "Verity: a second Verity=data partition for VerityMatchKey=usr (the first is ")]
    public void A_verity_triple_that_does_not_fit_together_names_the_file_and_line(string b, string? c, string file, int line, string message)
    {
        File.WriteAllText(Path.Combine(_temp.Path, "b.conf"), b);
        if (c is not null)
        {
            File.WriteAllText(Path.Combine(_temp.Path, "c.conf"), c);
        }

        var e = Assert.Throws<ConfigurationException>(() => RepartDefinitions.Load(_temp.Path));

        Assert.StartsWith($"{Path.Combine(_temp.Path, file)}:{line}: {message}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_label_with_the_version_specifier_needs_the_version()
    {
        var e = Assert.Throws<ConfigurationException>(() => Parse("[Partition]\nType=usr\nLabel=demo_%A\n"));

        Assert.Equal("50-part.conf:3: Label: 'demo_%A' uses a '%' specifier, which image-update does not expand (write '%%' for '%').", e.Message);
    }

    [Fact]
    public void Unknown_keys_and_harmless_repart_keys_are_accepted_with_a_warning_for_the_unknown()
    {
        var logger = new ListLogger();

        var p = RepartDefinitions.Parse("x.conf", Encoding.UTF8.GetBytes("[Partition]\nType=esp\nFrobnicate=1\nFactoryReset=no\nEncrypt=off\nVerity=off\nCopyFiles=\n"), logger);

        Assert.Equal(PartitionType.Esp, p.Type);
        var warning = Assert.Single(logger.Messages);
        Assert.Contains("x.conf:3: Frobnicate: Unknown key 'Frobnicate'", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_is_read_in_file_name_order_skipping_other_and_masked_files()
    {
        var directory = Path.Combine(_temp.Path, "repart.d");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "20-root-b.conf"), "[Partition]\nType=root\nLabel=b\n");
        File.WriteAllText(Path.Combine(directory, "10-esp.conf"), "[Partition]\nType=esp\n");
        File.WriteAllText(Path.Combine(directory, "15-root-a.conf"), "[Partition]\nType=root\nLabel=a\n");
        File.WriteAllText(Path.Combine(directory, "16-masked.conf"), string.Empty);
        File.CreateSymbolicLink(Path.Combine(directory, "17-masked.conf"), "/dev/null");
        File.WriteAllText(Path.Combine(directory, "README"), "not a definition");
        File.WriteAllText(Path.Combine(directory, ".30-hidden.conf"), "[Partition]\nType=swap\n");
        Directory.CreateDirectory(Path.Combine(directory, "20-root-b.conf.d"));

        var layout = RepartDefinitions.Load(directory);

        Assert.Equal(["10-esp.conf", "15-root-a.conf", "20-root-b.conf"], layout.Partitions.Select(p => Path.GetFileName(p.File)));
        Assert.Equal([null, "a", "b"], layout.Partitions.Select(p => p.Label));
    }

    [Fact]
    public void A_directory_without_definitions_is_an_error()
    {
        var e = Assert.Throws<ConfigurationException>(() => RepartDefinitions.Load(_temp.Path));
        Assert.Contains("holds no *.conf partition definitions", e.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<ConfigurationException>(() => RepartDefinitions.Load(Path.Combine(_temp.Path, "nope")));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_in_a_file_of_a_directory_names_that_file_and_line()
    {
        File.WriteAllText(Path.Combine(_temp.Path, "a.conf"), "[Partition]\nType=esp\n");
        File.WriteAllText(Path.Combine(_temp.Path, "b.conf"), "# comment\n[Partition]\nType=root\nWeight=heavy\n");

        var e = Assert.Throws<ConfigurationException>(() => RepartDefinitions.Load(_temp.Path));

        Assert.Equal(Path.Combine(_temp.Path, "b.conf"), e.File);
        Assert.Equal(4, e.Line);
    }

    private static RepartPartition Parse(string content, string? version = null) => RepartDefinitions.Parse("50-part.conf", Encoding.UTF8.GetBytes(content), imageVersion: version);
}
