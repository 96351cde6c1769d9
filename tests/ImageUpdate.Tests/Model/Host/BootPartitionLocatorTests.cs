using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using ImageUpdate.Model.Host;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Model.Host;

public sealed class BootPartitionLocatorTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Under_a_root_the_first_of_efi_boot_bootefi_holding_EFI_is_the_ESP()
    {
        Directory.CreateDirectory(_root["boot/efi/EFI"]);
        Directory.CreateDirectory(_root["boot/loader"]);

        var paths = BootPartitionLocator.Locate(_root.Path, BootPartitionOverrides.None);

        Assert.Equal(Path.Join(_root.Path, "/boot/efi"), paths.Esp);
        Assert.Null(paths.Xbootldr);
        Assert.Equal(paths.Esp, BootDirectory.Of(paths, PathRelativeTo.Boot));
    }

    [Fact]
    public void Boot_prefers_XBOOTLDR_and_esp_insists_on_the_ESP()
    {
        var paths = new BootPartitionPaths("/esp", "/xbootldr");

        Assert.Equal("/xbootldr", BootDirectory.Of(paths, PathRelativeTo.Boot));
        Assert.Equal("/esp", BootDirectory.Of(paths, PathRelativeTo.Esp));
        Assert.Equal("/xbootldr", BootDirectory.Of(paths, PathRelativeTo.Xbootldr));
    }

    [Theory]
    [InlineData(PathRelativeTo.Esp, "EFI System Partition")]
    [InlineData(PathRelativeTo.Xbootldr, "XBOOTLDR")]
    [InlineData(PathRelativeTo.Boot, "$BOOT")]
    public void Without_a_partition_the_error_says_how_to_point_at_one(PathRelativeTo relativeTo, string fragment)
    {
        var error = Assert.Throws<UpdateException>(() => BootDirectory.Of(new BootPartitionPaths(null, null), relativeTo));

        Assert.Contains(fragment, error.Message);
        Assert.Contains("SYSTEMD_", error.Message);
    }
}
