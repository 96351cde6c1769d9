using ImageUpdate.Formats.Gpt;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;

namespace ImageUpdate.Tests.Model.Definitions;

public sealed class DefinitionLoaderTests : IDisposable
{
    private const string Source = "[Source]\nType=regular-file\nPath=/src\nMatchPattern=img-@v.raw\n";

    private const string Minimal = Source + "[Target]\nType=regular-file\nPath=/dst\n";

    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private TransferDefinition LoadOne(string content, string name = "10-img.transfer")
    {
        _tree.Write($"etc/sysupdate.d/{name}", content);
        return Assert.Single(_tree.Load().Transfers);
    }

    [Fact]
    public void A_minimal_file_transfer_gets_systemds_defaults()
    {
        var path = _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal);
        var set = _tree.Load();
        var t = Assert.Single(set.Transfers);

        Assert.Equal("10-img", t.Id);
        Assert.Equal(path, t.FilePath);
        Assert.Null(t.MinVersion);
        Assert.Null(t.MaxVersion);
        Assert.Empty(t.ProtectVersions);
        Assert.True(t.Verify);
        Assert.Empty(t.ChangeLog);
        Assert.Empty(t.AppStream);
        Assert.Empty(t.Features);
        Assert.Empty(t.RequisiteFeatures);
        Assert.Equal(new SourceDefinition(ResourceType.RegularFile, "/src", PathRelativeTo.Root, t.Source.Patterns), t.Source);
        Assert.Equal("img-@v.raw", t.Source.Patterns.ToString());
        Assert.Equal("img-@v.raw", t.Target.Patterns.ToString());
        Assert.Equal(
            new TargetDefinition(ResourceType.RegularFile, "/dst", PathRelativeTo.Root, t.Target.Patterns, null, null, null, null,
                null, null, null, null, null, 3, true, null),
            t.Target);
        Assert.Null(set.Component);
        Assert.Empty(set.Warnings);
        Assert.True(set.IsEnabled(t));
    }

    [Fact]
    public void A_partition_target_defaults_to_linux_generic_and_unlimited_instances()
    {
        var t = LoadOne(Source + "[Target]\nType=partition\nPath=/dev/sda\nMatchPattern=part-@v\n");
        Assert.Equal(ResourceType.Partition, t.Target.Type);
        Assert.Equal(PartitionType.LinuxGeneric, t.Target.MatchPartitionType);
        Assert.Equal(int.MaxValue, t.Target.InstancesMax);
    }

    [Theory]
    [InlineData("regular-file", "/src", "/dev/disk/by-id/x", ResourceType.Partition)]
    [InlineData("regular-file", "/src", "/dst", ResourceType.RegularFile)]
    [InlineData("url-file", "https://example.org/img", "/dev/sda", ResourceType.Partition)]
    [InlineData("url-file", "file:///srv/img", "/efi/EFI/Linux", ResourceType.RegularFile)]
    [InlineData("url-tar", "https://example.org/img", "/dst", ResourceType.Directory)]
    [InlineData("tar", "/src", "/dst", ResourceType.Directory)]
    [InlineData("directory", "/src", "/dst", ResourceType.Directory)]
    [InlineData("subvolume", "/src", "/dst", ResourceType.Subvolume)]
    public void An_unset_target_type_is_inferred_from_the_source(string sourceType, string sourcePath, string targetPath, ResourceType expected)
    {
        var t = LoadOne($"[Source]\nType={sourceType}\nPath={sourcePath}\nMatchPattern=x-@v\n[Target]\nPath={targetPath}\n");
        Assert.Equal(expected, t.Target.Type);
    }

    [Fact]
    public void Every_key_is_parsed_into_the_model()
    {
        var t = LoadOne("""
            [Transfer]
            MinVersion=1.0
            MaxVersion=%A
            ProtectVersion=%A
            ProtectVersion=0.9
            Verify=no
            ChangeLog=https://example.org/@v.txt
            ChangeLog=https://example.org/all.txt
            AppStream=https://example.org/%M.xml
            Features=a "b c" d
            RequisiteFeatures=base
            X-Vendor=ignored silently

            [Source]
            Type=url-file
            Path=https://example.org/%M
            MatchPattern=%M_@v.raw.xz \
                         %M_@v.raw

            [Target]
            Type=partition
            Path=auto
            MatchPattern=%M_@v %M_@v
            MatchPartitionType=root-verity
            PartitionUUID=0123456789abcdef0123456789ABCDEF
            PartitionFlags=0x1000000000000000
            PartitionNoAuto=yes
            PartitionGrowFileSystem=off
            ReadOnly=1
            Mode=0444
            TriesLeft=0x10
            TriesDone=010
            InstancesMax=1
            RemoveTemporary=false
            CurrentSymlink=/run/%M//current/.
            """);

        Assert.Equal("1.0", t.MinVersion);
        Assert.Equal("1.2", t.MaxVersion);
        Assert.Equal(["1.2", "0.9"], t.ProtectVersions);
        Assert.False(t.Verify);
        Assert.Equal(["https://example.org/@v.txt", "https://example.org/all.txt"], t.ChangeLog);
        Assert.Equal(["https://example.org/demo.xml"], t.AppStream);
        Assert.Equal(["a", "b c", "d"], t.Features);
        Assert.Equal(["base"], t.RequisiteFeatures);
        Assert.Equal(ResourceType.UrlFile, t.Source.Type);
        Assert.Equal("https://example.org/demo", t.Source.Path);
        Assert.Equal(["demo_@v.raw.xz", "demo_@v.raw"], t.Source.Patterns.Patterns.Select(p => p.Text));
        Assert.Equal(["demo_@v"], t.Target.Patterns.Patterns.Select(p => p.Text));
        Assert.True(t.Target.PathIsAuto);
        Assert.Equal("root-x86-64-verity", PartitionType.NameOf(t.Target.MatchPartitionType!.Value));
        Assert.Equal(new Guid("01234567-89ab-cdef-0123-456789abcdef"), t.Target.PartitionUuid);
        Assert.Equal(0x1000000000000000UL, t.Target.PartitionFlags);
        Assert.True(t.Target.PartitionNoAuto);
        Assert.False(t.Target.PartitionGrowFileSystem);
        Assert.True(t.Target.ReadOnly);
        Assert.Equal(0x124u, t.Target.Mode);
        Assert.Equal(16UL, t.Target.TriesLeft);
        Assert.Equal(8UL, t.Target.TriesDone);
        Assert.Equal(2, t.Target.InstancesMax);
        Assert.False(t.Target.RemoveTemporary);
        Assert.Equal("/run/demo/current", t.Target.CurrentSymlink);
    }

    [Fact]
    public void Empty_values_reset_lists_and_settings_to_their_defaults()
    {
        var t = LoadOne(Source + """
            [Transfer]
            MinVersion=1
            MinVersion=
            ProtectVersion=1
            ProtectVersion=
            ProtectVersion=2
            Verify=no
            Verify=
            ChangeLog=https://a/
            ChangeLog=
            Features=a
            Features=
            [Target]
            Path=/dst
            MatchPattern=a-@v
            MatchPattern=
            PartitionFlags=1
            PartitionFlags=
            InstancesMax=7
            InstancesMax=
            CurrentSymlink=/x
            CurrentSymlink=
            ReadOnly=yes
            ReadOnly=
            """);
        Assert.Null(t.MinVersion);
        Assert.Equal(["2"], t.ProtectVersions);
        Assert.True(t.Verify);
        Assert.Empty(t.ChangeLog);
        Assert.Empty(t.Features);
        Assert.Equal("img-@v.raw", t.Target.Patterns.ToString());
        Assert.Null(t.Target.PartitionFlags);
        Assert.Equal(3, t.Target.InstancesMax);
        Assert.Null(t.Target.CurrentSymlink);
        Assert.Null(t.Target.ReadOnly);
    }

    // systemd 262 (sysupdate.d(5)): PartitionZeroFill= is a tri-state; unset, a *-verity-sig slot is
    // zero-filled behind its payload and any other is not; an empty value resets to unset.
    [Theory]
    [InlineData("", "root-x86-64-verity-sig", null, true)]
    [InlineData("", "usr-arm64-verity-sig", null, true)]
    [InlineData("", "root-x86-64-verity", null, false)]
    [InlineData("", "linux-generic", null, false)]
    [InlineData("PartitionZeroFill=no\n", "root-x86-64-verity-sig", false, false)]
    [InlineData("PartitionZeroFill=yes\n", "linux-generic", true, true)]
    [InlineData("PartitionZeroFill=yes\nPartitionZeroFill=\n", "linux-generic", null, false)]
    public void PartitionZeroFill_defaults_to_on_for_verity_signature_partitions_only(string lines, string type, bool? expected, bool zeroFills)
    {
        var t = LoadOne(Minimal + lines);

        Assert.Equal(expected, t.Target.PartitionZeroFill);
        Assert.True(PartitionType.TryParse(type, out var guid));
        Assert.Equal(zeroFills, t.Target.ZeroFillsPartition(guid));
    }

    [Theory]
    [InlineData("PartitionFlags=ff", 0xffUL)]
    [InlineData("PartitionFlags=0xFF", 0xffUL)]
    [InlineData("PartitionFlags=10", 0x10UL)]
    public void Partition_flags_are_hexadecimal(string line, ulong expected) =>
        Assert.Equal(expected, LoadOne(Minimal + line + "\n").Target.PartitionFlags);

    [Theory]
    [InlineData("TriesLeft=12", 12UL)]
    [InlineData("TriesLeft=0x0c", 12UL)]
    [InlineData("TriesLeft=014", 12UL)]
    [InlineData("TriesLeft=0o14", 12UL)]
    [InlineData("TriesLeft=0b1100", 12UL)]
    [InlineData("TriesLeft=+12", 12UL)]
    [InlineData("TriesLeft=18446744073709551615", ulong.MaxValue)]
    public void Tries_are_parsed_like_safe_atou64(string line, ulong expected) =>
        Assert.Equal(expected, LoadOne(Minimal + line + "\n").Target.TriesLeft);

    [Fact]
    public void Specifiers_that_fail_to_expand_drop_the_assignment_with_a_warning()
    {
        var path = _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal + "[Transfer]\nProtectVersion=%A\nProtectVersion=v%q\n");
        var set = _tree.Load();
        Assert.Equal(["1.2"], set.Transfers[0].ProtectVersions);
        var warning = Assert.Single(set.Warnings);
        Assert.Equal($"{path}:10: ProtectVersion: Failed to expand specifiers in 'v%q' (unknown specifier '%q'), ignoring.", warning.ToString());
    }

    [Fact]
    public void ProtectVersion_of_the_booted_version_on_a_host_without_one_protects_nothing_and_is_no_error()
    {
        // An image build or a container: os-release without IMAGE_VERSION=, so %A is empty.
        _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal + "[Transfer]\nProtectVersion=%A\n");
        var set = DefinitionLoader.Load(_tree.Options(warningsAreErrors: true) with { Specifiers = TempTree.Specifiers("ID=debian\n") });
        Assert.Empty(set.Transfers[0].ProtectVersions);
        var warning = Assert.Single(set.Warnings);
        Assert.Equal(WarningKind.Adjusted, warning.Kind);
        Assert.Contains("'%A' expands to nothing here (no IMAGE_VERSION= in os-release), nothing to protect.", warning.ToString());
        Assert.Equal("%A", set.Transfers[0].UnresolvedProtectVersion);
    }

    [Fact]
    public void An_unresolved_ProtectVersion_is_recorded_quietly_for_the_verbs_that_delete()
    {
        // The loader runs for every verb; only vacuuming is affected, and the engine says it there, once.
        _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal + "[Transfer]\nProtectVersion=%A\n");
        var logger = new Update.Imaging.ListLogger();
        var set = DefinitionLoader.Load(_tree.Options(warningsAreErrors: true) with { Specifiers = TempTree.Specifiers("ID=debian\n"), Logger = logger });
        Assert.Single(set.Warnings);
        Assert.Empty(logger.Messages);
    }

    [Fact]
    public void A_later_empty_ProtectVersion_resets_the_unresolved_one()
    {
        _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal + "[Transfer]\nProtectVersion=%A\nProtectVersion=\n");
        var set = DefinitionLoader.Load(_tree.Options() with { Specifiers = TempTree.Specifiers("ID=debian\n") });
        Assert.Null(set.Transfers[0].UnresolvedProtectVersion);
    }

    // Values systemd logs and ignores: the assignment is dropped and the default stays.
    [Theory]
    [InlineData("[Transfer]\nMinVersion=a/b", "MinVersion", "'a/b' is not a valid version, ignoring.")]
    [InlineData("[Transfer]\nMaxVersion=%q", "MaxVersion", "unknown specifier '%q'")]
    [InlineData("[Transfer]\nProtectVersion=1 2", "ProtectVersion", "'1 2' is not a valid version, ignoring.")]
    [InlineData("[Transfer]\nVerify=maybe", "Verify", "Failed to parse boolean value 'maybe', ignoring.")]
    [InlineData("[Transfer]\nFeatures=a \"b", "Features", "Invalid syntax in 'a \"b', ignoring the rest.")]
    [InlineData("[Transfer]\nBogus=1", "Bogus", "Unknown key in section [Transfer], ignoring.")]
    [InlineData("[Target]\nType=block", "Type", "Failed to parse resource type 'block', ignoring.")]
    [InlineData("[Target]\nPathRelativeTo=home", "PathRelativeTo", "Failed to parse PathRelativeTo= value 'home', ignoring.")]
    [InlineData("[Target]\nMatchPartitionType=root-x86-65", "MatchPartitionType", "Failed to parse partition type 'root-x86-65', ignoring.")]
    [InlineData("[Target]\nPartitionUUID=not-a-uuid", "PartitionUUID", "Failed to parse partition UUID 'not-a-uuid', ignoring.")]
    [InlineData("[Target]\nPartitionFlags=0xg", "PartitionFlags", "Failed to parse partition flags '0xg', ignoring.")]
    [InlineData("[Target]\nPartitionNoAuto=2", "PartitionNoAuto", "Failed to parse boolean value '2', ignoring.")]
    [InlineData("[Target]\nPartitionGrowFileSystem=x", "PartitionGrowFileSystem", "Failed to parse boolean value 'x', ignoring.")]
    [InlineData("[Target]\nReadOnly=ro", "ReadOnly", "Failed to parse boolean value 'ro', ignoring.")]
    [InlineData("[Target]\nMode=0888", "Mode", "Failed to parse mode '0888', ignoring.")]
    [InlineData("[Target]\nMode=10000", "Mode", "Failed to parse mode '10000', ignoring.")]
    [InlineData("[Target]\nMode=+644", "Mode", "Failed to parse mode '+644', ignoring.")]
    [InlineData("[Target]\nMode=", "Mode", "Failed to parse mode '', ignoring.")]
    [InlineData("[Target]\nTriesLeft=-1", "TriesLeft", "Failed to parse unsigned integer '-1', ignoring.")]
    [InlineData("[Target]\nTriesDone=3x", "TriesDone", "Failed to parse unsigned integer '3x', ignoring.")]
    [InlineData("[Target]\nTriesDone=18446744073709551616", "TriesDone", "Failed to parse unsigned integer")]
    [InlineData("[Target]\nInstancesMax=many", "InstancesMax", "Failed to parse InstancesMax= value 'many', ignoring.")]
    [InlineData("[Target]\nInstancesMax=1", "InstancesMax", "InstancesMax= must be at least 2, bumping 1 to 2.")]
    [InlineData("[Target]\nRemoveTemporary=sure", "RemoveTemporary", "Failed to parse boolean value 'sure', ignoring.")]
    [InlineData("[Target]\nPartitionZeroFill=maybe", "PartitionZeroFill", "Failed to parse boolean value 'maybe', ignoring.")]
    [InlineData("[Target]\nCurrentSymlink=%q", "CurrentSymlink", "unknown specifier '%q'")]
    [InlineData("[Target]\nPath=/x/%q", "Path", "unknown specifier '%q'")]
    [InlineData("[Source]\nMatchPattern=a-@v-%q", "MatchPattern", "unknown specifier '%q'")]
    public void Values_systemd_ignores_are_warned_about_with_file_line_and_key(string tail, string key, string fragment)
    {
        var path = _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal + tail + "\n");
        var set = _tree.Load();
        var t = Assert.Single(set.Transfers);
        var warning = Assert.Single(set.Warnings);
        Assert.StartsWith($"{path}:9: {key}: ", warning.ToString(), StringComparison.Ordinal);
        Assert.Contains(fragment, warning.Message, StringComparison.Ordinal);

        var defaults = LoadDefaults();
        Assert.Equal(defaults.MinVersion, t.MinVersion);
        Assert.Equal(defaults.Verify, t.Verify);
        Assert.Equal(defaults.ProtectVersions, t.ProtectVersions);
        Assert.Equal("/dst", t.Target.Path);
        Assert.Equal(defaults.Target.Mode, t.Target.Mode);
        Assert.Equal(defaults.Target.TriesDone, t.Target.TriesDone);
        Assert.Equal(defaults.Target.PartitionFlags, t.Target.PartitionFlags);
        Assert.Equal(defaults.Source.Patterns.ToString(), t.Source.Patterns.ToString());
    }

    // Keys that only describe the update: a bad value is dropped with systemd 262's own line, and is
    // no error even where warnings are (the program's setting), since nothing written or trusted changes.
    [Theory]
    [InlineData("[Transfer]\nChangeLog=ftp://example.org/x", "ChangeLog= URL is not valid, ignoring: ftp://example.org/x")]
    [InlineData("[Transfer]\nAppStream=file:///x.xml", "AppStream= URL is not valid, ignoring: file:///x.xml")]
    [InlineData("[Transfer]\nAppStream=https://example.org/%EDITION%/a.xml", "Failed to expand specifiers in AppStream=, ignoring: https://example.org/%EDITION%/a.xml")]
    [InlineData("[Transfer]\nChangeLog=ftp://%m/x", "ChangeLog= URL is not valid, ignoring: ftp://%m/x")]
    [InlineData("[Transfer]\nChangeLog=https://example.org/%Q\u001b", "Failed to expand specifiers in ChangeLog=, ignoring: https://example.org/%Q\\x1b")]
    public void A_bad_value_of_an_informational_key_is_dropped_as_262_drops_it_and_is_no_error(string tail, string line)
    {
        var path = _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal + tail + "\n");
        var set = DefinitionLoader.Load(_tree.Options(warningsAreErrors: true));
        var t = Assert.Single(set.Transfers);
        var warning = Assert.Single(set.Warnings);
        Assert.Equal(WarningKind.Informational, warning.Kind);
        Assert.Equal($"{path}:9: {line}", warning.ToString());
        Assert.Empty(t.ChangeLog);
        Assert.Empty(t.AppStream);
    }

    [Theory]
    [InlineData("Documentation=https://example.org/%EDITION%", "Failed to expand specifiers in Documentation=, ignoring: https://example.org/%EDITION%")]
    [InlineData("Documentation=ftp://example.org/", "Documentation= URL is not valid, ignoring: ftp://example.org/")]
    [InlineData("AppStream=https://example.org/%EDITION%.xml", "Failed to expand specifiers in AppStream=, ignoring: https://example.org/%EDITION%.xml")]
    [InlineData("AppStream=file:///a.xml", "AppStream= URL is not valid, ignoring: file:///a.xml")]
    public void A_bad_url_of_a_feature_is_dropped_as_262_drops_it_and_is_no_error(string assignment, string line)
    {
        var path = _tree.Write("usr/lib/sysupdate.d/optional.feature", $"[Feature]\nEnabled=yes\n{assignment}\n");
        var set = DefinitionLoader.Load(_tree.Options(warningsAreErrors: true));
        var optional = set.Features["optional"];
        Assert.True(optional.Enabled);
        Assert.Empty(optional.Documentation);
        Assert.Null(optional.AppStream);
        Assert.Equal($"{path}:3: {line}", Assert.Single(set.Warnings).ToString());
    }

    // What changes what is written or trusted keeps refusing where warnings are errors.
    [Theory]
    [InlineData("[Target]\nPath=/x/%Q", "Path")]
    [InlineData("[Source]\nMatchPattern=img-@v-%Q.raw", "MatchPattern")]
    [InlineData("[Transfer]\nVerify=perhaps", "Verify")]
    [InlineData("[Transfer]\nMinVersion=%Q", "MinVersion")]
    [InlineData("[Transfer]\nProtectVersion=%Q", "ProtectVersion")]
    [InlineData("[Transfer]\nFeatures=a \"b", "Features")]
    [InlineData("[Target]\nCurrentSymlink=/x/%Q", "CurrentSymlink")]
    [InlineData("[Target]\nMode=0888", "Mode")]
    [InlineData("[Target]\nInstancesMax=many", "InstancesMax")]
    public void A_bad_value_of_a_key_that_changes_what_is_written_or_trusted_stays_an_error(string tail, string key)
    {
        var path = _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal + tail + "\n");
        var e = Assert.Throws<ConfigurationException>(() => DefinitionLoader.Load(_tree.Options(warningsAreErrors: true)));
        Assert.StartsWith($"{path}:9: {key}: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_feature_switch_stays_an_error()
    {
        var path = _tree.Write("usr/lib/sysupdate.d/optional.feature", "[Feature]\nEnabled=perhaps\n");
        var e = Assert.Throws<ConfigurationException>(() => DefinitionLoader.Load(_tree.Options(warningsAreErrors: true)));
        Assert.Equal($"{path}:2: Enabled: Failed to parse boolean value 'perhaps', ignoring.", e.Message);
    }

    private TransferDefinition LoadDefaults()
    {
        using var other = new TempTree();
        other.Write("etc/sysupdate.d/10-img.transfer", Minimal);
        return other.Load().Transfers[0];
    }

    [Fact]
    public void Warnings_are_errors_when_asked()
    {
        var path = _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal + "Mode=9\n");
        var e = Assert.Throws<ConfigurationException>(() => DefinitionLoader.Load(_tree.Options(warningsAreErrors: true)));
        Assert.Equal($"{path}:8: Mode: Failed to parse mode '9', ignoring.", e.Message);
    }

    // Definitions systemd refuses: the whole load fails, naming the file, the line and the key.
    [Theory]
    [InlineData("[Source]\nType=regular-file\nPath=/src\nMatchPattern=img-@q\n[Target]\nPath=/dst\n", 4, "MatchPattern", "'@q'")]
    [InlineData("[Source]\nType=regular-file\nPath=/src\nMatchPattern=img-@v img\n[Target]\nPath=/dst\n", 4, "MatchPattern", "")]
    [InlineData("[Source]\nType=regular-file\nPath=/src\nMatchPattern=img\\q-@v\n[Target]\nPath=/dst\n", 4, "MatchPattern", "")]
    [InlineData(Source + "[Target]\nPath=/dst\nMatchPattern=**/img-@v\n", 7, "MatchPattern", "only supported in a source MatchPattern=")]
    [InlineData("[Source]\nType=regular-file\nPath=/src\nMatchPattern=**/a/img-@v\n[Target]\nPath=/dst\n", 4, "MatchPattern", "must be a valid file name")]
    [InlineData("[Source]\nType=directory\nPath=/src\nMatchPattern=**/img-@v\n[Target]\nPath=/dst\n", 4, "MatchPattern", "not supported for source Type=directory")]
    [InlineData("[Source]\nPath=/src\nMatchPattern=img-@v\n[Target]\nPath=/dst\n", 0, "Type", "Source Type= must be one of")]
    [InlineData("[Source]\nType=partition\nPath=/src\nMatchPattern=img-@v\n[Target]\nPath=/dst\n", 2, "Type", "Source Type= must be one of")]
    [InlineData(Source + "[Target]\nType=url-file\nPath=/dst\n", 6, "Type", "Target Type= must be one of")]
    [InlineData(Source + "[Target]\nType=directory\nPath=/dst\n", 6, "Type", "Target type 'directory' is incompatible with source type 'regular-file', refusing.")]
    [InlineData("[Source]\nType=tar\nPath=/src\nMatchPattern=a-@v\n[Target]\nType=partition\nPath=/dev/sda\n", 6, "Type", "Target type 'partition' is incompatible with source type 'tar', refusing.")]
    [InlineData("[Source]\nType=regular-file\nMatchPattern=img-@v\n[Target]\nPath=/dst\n", 0, "Path", "The [Source] section lacks Path=.")]
    [InlineData(Source + "PathRelativeTo=explicit\n[Target]\nPath=/dst\n", 5, "PathRelativeTo", "requires --transfer-source=")]
    [InlineData(Source + "[Target]\nPath=/dst\nPathRelativeTo=explicit\n", 7, "PathRelativeTo", "can only be used in [Source]")]
    [InlineData("[Source]\nType=regular-file\nPath=src\nMatchPattern=img-@v\n[Target]\nPath=/dst\n", 3, "Path", "Source path 'src' is not a normalized, absolute path.")]
    [InlineData("[Source]\nType=regular-file\nPath=/a/../src\nMatchPattern=img-@v\n[Target]\nPath=/dst\n", 3, "Path", "is not a normalized, absolute path")]
    [InlineData("[Source]\nType=regular-file\nPath=\nMatchPattern=img-@v\n[Target]\nPath=/dst\n", 3, "Path", "Source path '' is not")]
    [InlineData("[Source]\nType=url-file\nPath=ftp://host/x\nMatchPattern=img-@v\n[Target]\nPath=/dst\n", 3, "Path", "is not a valid HTTP, HTTPS or file URL")]
    [InlineData("[Source]\nType=url-tar\nPath=/srv/x\nMatchPattern=img-@v\n[Target]\nPath=/dst\n", 3, "Path", "is not a valid HTTP, HTTPS or file URL")]
    [InlineData("[Source]\nType=regular-file\nPath=/src\n[Target]\nPath=/dst\n", 0, "MatchPattern", "The [Source] section lacks MatchPattern=.")]
    [InlineData("[Source]\nType=regular-file\nPath=/src\nMatchPattern=a-@v\nMatchPattern=\n[Target]\nPath=/dst\n", 0, "MatchPattern", "lacks MatchPattern=")]
    [InlineData(Source + "[Target]\nType=regular-file\n", 0, "Path", "The [Target] section lacks Path=.")]
    [InlineData(Source + "[Target]\nPath=dst/\n", 6, "Path", "Target path 'dst/' is not a normalized, absolute path.")]
    [InlineData(Source + "[Target]\nPath=/a//b\n", 6, "Path", "is not a normalized, absolute path")]
    [InlineData(Source + "[Target]\nType=partition\nPath=/dev/sda\nCurrentSymlink=current\n", 8, "CurrentSymlink", "must be an absolute path when the target is a partition")]
    [InlineData(Source + "[Target]\nPath=/EFI\nType=partition\nPathRelativeTo=esp\n", 8, "PathRelativeTo", "Paths relative to esp are only allowed for regular-file or directory resources.")]
    [InlineData("[Source]\nType=subvolume\nPath=/src\nMatchPattern=a-@v\n[Target]\nPath=/dst\nPathRelativeTo=boot\n", 7, "PathRelativeTo", "Paths relative to boot")]
    [InlineData(Source + "[Target]\nPath=auto\n", 6, "Path", "Path=auto is only supported for partition resources.")]
    [InlineData("[Source]\nType=regular-file\nPath=auto\nMatchPattern=a-@v\n[Target]\nPath=/dev/sda\n", 3, "Path", "Path=auto is only supported for partition resources.")]
    public void Malformed_definitions_fail_naming_file_line_and_key(string content, int line, string key, string fragment)
    {
        var path = _tree.Write("etc/sysupdate.d/02-root.transfer", content);
        var e = Assert.Throws<ConfigurationException>(() => _tree.Load());
        var where = line > 0 ? $"{path}:{line}" : path;
        Assert.StartsWith($"{where}: {key}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        Assert.Equal(path, e.File);
        Assert.Equal(key, e.Key);
    }

    [Fact]
    public void The_pattern_error_message_is_the_pattern_parsers()
    {
        var path = _tree.Write("etc/sysupdate.d/02-root.transfer", "[Source]\nType=regular-file\nPath=/src\n\n\n\nMatchPattern=@q\n");
        var e = Assert.Throws<ConfigurationException>(() => _tree.Load());
        Assert.StartsWith($"{path}:7: MatchPattern: '@q'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transfer_source_makes_explicit_source_paths_valid()
    {
        _tree.Write("etc/sysupdate.d/10-img.transfer", Source + "PathRelativeTo=explicit\n[Target]\nPath=/dst\n");
        var t = Assert.Single(DefinitionLoader.Load(_tree.Options(transferSource: "/mnt/update")).Transfers);
        Assert.Equal(PathRelativeTo.Explicit, t.Source.PathRelativeTo);
        Assert.Equal("/src", t.Source.Path);
    }

    [Fact]
    public void A_glob_source_pattern_is_inherited_by_the_target_without_the_prefix()
    {
        var t = LoadOne("[Source]\nType=regular-file\nPath=/src\nMatchPattern=**/img-@v.raw img-@v.raw\n[Target]\nPath=/dst\n");
        Assert.Equal(["**/img-@v.raw", "img-@v.raw"], t.Source.Patterns.Patterns.Select(p => p.Text));
        Assert.Equal(["img-@v.raw"], t.Target.Patterns.Patterns.Select(p => p.Text));
    }

    [Fact]
    public void Pattern_words_are_c_unescaped_and_duplicates_dropped()
    {
        var t = LoadOne("[Source]\nType=regular-file\nPath=/src\nMatchPattern=a\\x2d@v a-@v\nMatchPattern=b-@v a-@v\n[Target]\nPath=/dst\n");
        Assert.Equal(["a-@v", "b-@v"], t.Source.Patterns.Patterns.Select(p => p.Text));
    }

    [Fact]
    public void Esp_relative_file_targets_are_accepted()
    {
        var t = LoadOne(Source + "[Target]\nPath=/EFI/Linux\nPathRelativeTo=boot\nMatchPattern=uki_@v+@l-@d.efi uki_@v.efi\nTriesLeft=3\nTriesDone=0\n");
        Assert.Equal(PathRelativeTo.Boot, t.Target.PathRelativeTo);
        Assert.Equal(3UL, t.Target.TriesLeft);
        Assert.Equal(0UL, t.Target.TriesDone);
    }

    [Fact]
    public void Drop_ins_apply_in_file_name_order_and_earlier_directories_override_same_named_ones()
    {
        _tree.Write("usr/lib/sysupdate.d/10-img.transfer", Minimal + "InstancesMax=5\nChangeLog=https://a/\n");
        _tree.Write("usr/lib/sysupdate.d/10-img.transfer.d/10-a.conf", "[Target]\nInstancesMax=6\n");
        _tree.Write("usr/lib/sysupdate.d/10-img.transfer.d/30-c.conf", "[Transfer]\nChangeLog=https://c/\n");
        _tree.Write("etc/sysupdate.d/10-img.transfer.d/10-a.conf", "[Target]\nMode=0600\n");
        _tree.Write("run/sysupdate.d/10-img.transfer.d/20-b.conf", "[Transfer]\nChangeLog=\nChangeLog=https://b/\n");

        var t = Assert.Single(_tree.Load().Transfers);
        Assert.Equal(5, t.Target.InstancesMax); // /usr/lib's 10-a.conf is overridden by /etc's
        Assert.Equal(0x180u, t.Target.Mode);
        Assert.Equal(["https://b/", "https://c/"], t.ChangeLog);
        Assert.Equal("/dst", t.Target.Path);
    }

    [Fact]
    public void A_same_named_transfer_in_an_earlier_directory_replaces_the_later_one()
    {
        _tree.Write("usr/lib/sysupdate.d/10-img.transfer", Minimal + "InstancesMax=5\n");
        var etc = _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal + "InstancesMax=4\n");
        var t = Assert.Single(_tree.Load().Transfers);
        Assert.Equal(4, t.Target.InstancesMax);
        Assert.Equal(etc, t.FilePath);
    }

    [Fact]
    public void An_empty_file_or_a_symlink_to_dev_null_masks_a_transfer()
    {
        _tree.Write("usr/lib/sysupdate.d/10-a.transfer", Minimal);
        _tree.Write("usr/lib/sysupdate.d/20-b.transfer", Minimal);
        _tree.Write("usr/lib/sysupdate.d/30-c.transfer", Minimal);
        _tree.Write("etc/sysupdate.d/10-a.transfer", string.Empty);
        _tree.Symlink("run/sysupdate.d/20-b.transfer", "/dev/null");
        Assert.Equal(["30-c"], _tree.Load().Transfers.Select(t => t.Id));
    }

    [Fact]
    public void A_symlink_with_an_absolute_target_is_followed_inside_the_root()
    {
        _tree.Write("usr/share/defs/img.transfer", Minimal + "InstancesMax=9\n");
        var link = _tree.Symlink("etc/sysupdate.d/10-img.transfer", "/usr/share/defs/img.transfer");
        var t = Assert.Single(_tree.Load().Transfers);
        Assert.Equal(9, t.Target.InstancesMax);
        Assert.Equal(link, t.FilePath);
    }

    [Fact]
    public void Transfers_are_sorted_by_file_name_across_directories_and_hidden_files_are_skipped()
    {
        _tree.Write("usr/lib/sysupdate.d/50-uki.transfer", Minimal);
        _tree.Write("etc/sysupdate.d/20-usr.transfer", Minimal);
        _tree.Write("run/sysupdate.d/10-root.transfer", Minimal);
        _tree.Write("usr/local/lib/sysupdate.d/30-verity.transfer", Minimal);
        _tree.Write("etc/sysupdate.d/.hidden.transfer", "garbage");
        _tree.Write("etc/sysupdate.d/README", "garbage");
        Assert.Equal(["10-root", "20-usr", "30-verity", "50-uki"], _tree.Load().Transfers.Select(t => t.Id));
    }

    [Fact]
    public void Conf_files_are_read_only_when_no_transfer_file_exists()
    {
        _tree.Write("usr/lib/sysupdate.d/10-old.conf", Minimal);
        Assert.Equal(["10-old"], _tree.Load().Transfers.Select(t => t.Id));

        _tree.Write("usr/lib/sysupdate.d/20-new.transfer", Minimal);
        Assert.Equal(["20-new"], _tree.Load().Transfers.Select(t => t.Id));

        // A masked .transfer does not count: the .conf files are read again.
        _tree.Write("etc/sysupdate.d/20-new.transfer", string.Empty);
        Assert.Equal(["10-old"], _tree.Load().Transfers.Select(t => t.Id));
    }

    [Fact]
    public void Definitions_directory_is_the_only_place_searched()
    {
        _tree.Write("etc/sysupdate.d/10-etc.transfer", Minimal);
        var dir = Path.Combine(_tree.Root, "elsewhere");
        _tree.Write("elsewhere/20-own.conf", Minimal);
        _tree.Write("elsewhere/20-own.conf.d/override.conf", "[Target]\nInstancesMax=4\n");
        var set = DefinitionLoader.Load(_tree.Options() with { DefinitionsDirectory = dir });
        var t = Assert.Single(set.Transfers);
        Assert.Equal("20-own", t.Id);
        Assert.Equal(4, t.Target.InstancesMax);
    }

    [Fact]
    public void A_component_reads_its_own_directories()
    {
        _tree.Write("etc/sysupdate.d/10-host.transfer", Minimal);
        _tree.Write("usr/lib/sysupdate.extra.d/10-extra.transfer", Minimal);
        var set = _tree.Load("extra");
        Assert.Equal("extra", set.Component);
        Assert.Equal(["10-extra"], set.Transfers.Select(t => t.Id));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("x\ny")]
    public void An_invalid_component_name_is_a_usage_error(string component) =>
        Assert.Throws<UsageException>(() => _tree.Load(component));

    [Fact]
    public void Components_are_listed_sorted_and_once_with_the_default_set_noted()
    {
        Directory.CreateDirectory(Path.Combine(_tree.Root, "usr/lib/sysupdate.zeta.d"));
        Directory.CreateDirectory(Path.Combine(_tree.Root, "etc/sysupdate.alpha.d"));
        Directory.CreateDirectory(Path.Combine(_tree.Root, "usr/lib/sysupdate.alpha.d"));
        Directory.CreateDirectory(Path.Combine(_tree.Root, "run/sysupdate.alpha.component.d"));
        Directory.CreateDirectory(Path.Combine(_tree.Root, "etc/sysupdate..d"));
        Directory.CreateDirectory(Path.Combine(_tree.Root, "etc/other.d"));
        _tree.Write("etc/sysupdate.file.d", "not a directory");

        var listing = DefinitionLoader.ListComponents(_tree.Root);
        Assert.Equal(["alpha", "zeta"], listing.Components);
        Assert.False(listing.HasDefault);

        // An empty sysupdate.d is no default set (262, systemd issue 41501); one transfer in any of its directories makes it one.
        Directory.CreateDirectory(Path.Combine(_tree.Root, "usr/lib/sysupdate.d"));
        Directory.CreateDirectory(Path.Combine(_tree.Root, "run/sysupdate.d"));
        _tree.Write("usr/lib/sysupdate.d/notes.txt", "not a transfer");
        Assert.False(DefinitionLoader.ListComponents(_tree.Root).HasDefault);
        _tree.Write("run/sysupdate.d/10-os.transfer", "[Source]\n");
        Assert.True(DefinitionLoader.ListComponents(_tree.Root).HasDefault);
    }

    [Fact]
    public void Features_are_read_with_drop_ins_and_masking()
    {
        _tree.Write("usr/lib/sysupdate.d/optional.feature", "[Feature]\nDescription=Optional Feature\nDocumentation=https://example.org/%M\nAppStream=https://example.org/a.xml\n");
        _tree.Write("etc/sysupdate.d/optional.feature.d/enable.conf", "[Feature]\nEnabled=true\n");
        _tree.Write("usr/lib/sysupdate.d/masked.feature", "[Feature]\nEnabled=yes\n");
        _tree.Symlink("etc/sysupdate.d/masked.feature", "/dev/null");
        _tree.Write("usr/lib/sysupdate.d/off.feature", "[Feature]\nDescription=\n");

        var features = _tree.Load().Features;
        var optional = features["optional"];
        Assert.Equal("Optional Feature", optional.Description);
        Assert.Equal(["https://example.org/demo"], optional.Documentation);
        Assert.Equal("https://example.org/a.xml", optional.AppStream);
        Assert.True(optional.Enabled);
        Assert.False(optional.Masked);
        Assert.True(features["masked"].Masked);
        Assert.False(features["masked"].Enabled);
        Assert.Null(features["off"].Description);
        Assert.False(features["off"].Enabled);
    }

    [Theory]
    [InlineData("", "", true)]
    [InlineData("on", "", true)]
    [InlineData("off", "", false)]
    [InlineData("off on", "", true)]
    [InlineData("unknown", "", false)]
    [InlineData("masked", "", false)]
    [InlineData("unknown on", "", true)]
    [InlineData("", "on", true)]
    [InlineData("", "on off", false)]
    [InlineData("", "unknown", false)]
    [InlineData("off", "on", false)]
    [InlineData("on", "on", true)]
    public void A_transfer_is_enabled_when_any_feature_and_every_requisite_is(string features, string requisites, bool expected)
    {
        _tree.Write("etc/sysupdate.d/on.feature", "[Feature]\nEnabled=yes\n");
        _tree.Write("etc/sysupdate.d/off.feature", "[Feature]\nEnabled=no\n");
        _tree.Write("usr/lib/sysupdate.d/masked.feature", "[Feature]\nEnabled=yes\n");
        _tree.Write("etc/sysupdate.d/masked.feature", string.Empty);
        _tree.Write("etc/sysupdate.d/10-img.transfer", Minimal + $"[Transfer]\nFeatures={features}\nRequisiteFeatures={requisites}\n");

        var set = _tree.Load();
        Assert.Equal(expected, set.IsEnabled(set.Transfers[0]));
        Assert.Equal(expected ? 1 : 0, set.EnabledTransfers.Count());
    }

    [Fact]
    public void A_feature_value_systemd_ignores_is_warned_about()
    {
        var path = _tree.Write("etc/sysupdate.d/f.feature", "[Feature]\nEnabled=perhaps\nColour=blue\n");
        var set = _tree.Load();
        Assert.False(set.Features["f"].Enabled);
        Assert.Equal(
            [$"{path}:2: Enabled: Failed to parse boolean value 'perhaps', ignoring.", $"{path}:3: Colour: Unknown key in section [Feature], ignoring."],
            set.Warnings.Select(w => w.ToString()));
    }
}
