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

    private static RepartPartition Parse(string content) => RepartDefinitions.Parse("50-part.conf", Encoding.UTF8.GetBytes(content));
}
