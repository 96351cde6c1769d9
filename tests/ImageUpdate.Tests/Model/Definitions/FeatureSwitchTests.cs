using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;

namespace ImageUpdate.Tests.Model.Definitions;

public sealed class FeatureSwitchTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Enabling_writes_systemds_drop_in_and_the_feature_reads_back_enabled()
    {
        _tree.Write("usr/lib/sysupdate.d/optional.feature", "[Feature]\nDescription=Optional\n");
        var written = FeatureSwitch.SetEnabled(_tree.Options(), _tree.Load(), ["optional"], enable: true);

        var path = Path.Combine(_tree.Root, "etc/sysupdate.d/optional.feature.d/50-systemd-sysupdate-enabled.conf");
        Assert.Equal([path], written);
        Assert.Equal("# Generated via 'image-update enable-feature'\n\n[Feature]\nEnabled=yes\n", File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                File.GetUnixFileMode(path));
        }

        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, ".#*"));
        Assert.True(_tree.Load().Features["optional"].Enabled);

        FeatureSwitch.SetEnabled(_tree.Options(), _tree.Load(), ["optional"], enable: false);
        Assert.EndsWith("Enabled=no\n", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.False(_tree.Load().Features["optional"].Enabled);
    }

    [Fact]
    public void A_component_feature_goes_below_its_component_directory()
    {
        _tree.Write("usr/lib/sysupdate.extra.d/f.feature", "[Feature]\n");
        var options = _tree.Options("extra");
        var written = FeatureSwitch.SetEnabled(options, DefinitionLoader.Load(options), ["f"], enable: true);
        Assert.Equal([Path.Combine(_tree.Root, "etc/sysupdate.extra.d/f.feature.d/50-systemd-sysupdate-enabled.conf")], written);
    }

    [Fact]
    public void Unknown_or_masked_features_are_refused_before_anything_is_written()
    {
        _tree.Write("usr/lib/sysupdate.d/known.feature", "[Feature]\n");
        _tree.Write("usr/lib/sysupdate.d/masked.feature", "[Feature]\n");
        _tree.Symlink("etc/sysupdate.d/masked.feature", "/dev/null");
        var set = _tree.Load();

        var e = Assert.Throws<ConfigurationException>(() => FeatureSwitch.SetEnabled(_tree.Options(), set, ["known", "nope"], true));
        Assert.Equal("Optional feature not found in component '<default>': nope", e.Message); // 262's words
        Assert.Throws<ConfigurationException>(() => FeatureSwitch.SetEnabled(_tree.Options(), set, ["masked"], true));
        Assert.False(Directory.Exists(Path.Combine(_tree.Root, "etc/sysupdate.d/known.feature.d")));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("x\"y")]
    public void Invalid_feature_names_are_usage_errors(string name) =>
        Assert.Throws<UsageException>(() => FeatureSwitch.SetEnabled(_tree.Options(), _tree.Load(), [name], true));

    [Fact]
    public void A_definitions_directory_cannot_be_combined_with_switching_features()
    {
        var e = Assert.Throws<UsageException>(() =>
            FeatureSwitch.SetEnabled(_tree.Options() with { DefinitionsDirectory = _tree.Root }, _tree.Load(), ["f"], false));
        Assert.Equal("The --definitions= switch may not be combined with 'disable-feature'.", e.Message);
    }
}
