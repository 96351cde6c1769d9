using System.Text.Json;
using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Cli;

/// <summary>The command-line contract: options, exit codes, --root, --json shapes, help.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Task<RunResult> Run(params string[] args) => ImageUpdateProcess.RunAsync(null, args);

    /// <summary>An OS tree (see <see cref="AppTree"/>) keeping two versions and protecting the booted one.</summary>
    private string MakeRoot(string imageVersion, params string[] installed) =>
        AppTree.Make(_dir["root"], imageVersion, installed, protectBooted: true, instancesMax: 2);

    [Fact]
    public async Task Root_reads_definitions_os_release_and_paths_under_the_root()
    {
        var root = MakeRoot("1", "1");
        File.WriteAllText(Path.Combine(root, "srv/source/app_2.bin"), "2");
        File.WriteAllText(Path.Combine(root, "srv/source/app_3.bin"), "3");

        Assert.Equal("3\n", (await Run("--root", root, "check-new")).Stdout);
        var update = await Run("--root", root, "update");
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal("3", File.ReadAllText(Path.Combine(root, "srv/target/app_3.bin")));

        // InstancesMax=2 made room by removing the oldest unprotected version; %A kept the booted 1.
        Assert.True(File.Exists(Path.Combine(root, "srv/target/app_1.bin")));
        var list = await Run("--root", root, "--no-legend", "list");
        Assert.Contains(list.Stdout.Split('\n'), l => l.Contains(" 1 ") && l.EndsWith("protected"));
    }

    [Theory]
    [InlineData("1", new[] { "1", "2" }, 0)]
    [InlineData("2", new[] { "1", "2" }, 1)]
    [InlineData("3", new[] { "1", "2" }, 1)]
    [InlineData("1", new string[0], 1)]
    public async Task Pending_says_whether_a_newer_version_than_the_booted_one_is_installed(string booted, string[] installed, int exit)
    {
        var root = MakeRoot(booted, installed);

        var result = await Run("--root", root, "pending");

        Assert.True(result.ExitCode == exit, result.ToString());
    }

    [Fact]
    public async Task Reboot_does_nothing_when_nothing_newer_is_installed()
    {
        var root = MakeRoot("2", "1", "2");

        var result = await Run("--root", root, "reboot");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Newest installed version '2' matches booted version '2'.", result.Stderr);
    }

    [Fact]
    public async Task A_source_relative_to_transfer_source_reads_the_given_directory()
    {
        var defs = Directory.CreateDirectory(_dir["defs"]).FullName;
        var source = Directory.CreateDirectory(_dir["elsewhere/payloads"]).FullName;
        File.WriteAllText(Path.Combine(source, "p_7.bin"), "seven");
        File.WriteAllText(Path.Combine(defs, "p.transfer"), $"""
            [Source]
            Type=regular-file
            Path=/payloads
            PathRelativeTo=explicit
            MatchPattern=p_@v.bin

            [Target]
            Type=regular-file
            Path={_dir["target"]}
            MatchPattern=p_@v.bin
            """);

        var missing = await Run("--definitions", defs, "check-new");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("--transfer-source", missing.Stderr);

        var result = await Run("--definitions", defs, "--transfer-source", _dir["elsewhere"], "update");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("seven", File.ReadAllText(Path.Combine(_dir["target"], "p_7.bin")));
    }

    [Fact]
    public async Task Features_are_switched_by_a_drop_in_under_etc()
    {
        var root = MakeRoot("1", "1");
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/extra.feature"), "[Feature]\nDescription=Extra things\n");

        Assert.Equal(0, (await Run("--root", root, "enable-feature", "extra")).ExitCode);
        var dropIn = Path.Combine(root, "etc/sysupdate.d/extra.feature.d/50-systemd-sysupdate-enabled.conf");
        Assert.Contains("Enabled=yes", File.ReadAllText(dropIn));
        var shown = await Run("--root", root, "features", "extra");
        Assert.Contains("Enabled: yes", shown.Stdout);

        Assert.Equal(0, (await Run("--root", root, "disable-feature", "extra")).ExitCode);
        Assert.Contains("Enabled=no", File.ReadAllText(dropIn));

        var unknown = await Run("--root", root, "enable-feature", "nosuch");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("nosuch", unknown.Stderr);
    }

    [Fact]
    public async Task Components_lists_the_default_set_and_each_named_one()
    {
        var root = MakeRoot("1");
        Directory.CreateDirectory(Path.Combine(root, "etc/sysupdate.web.d"));
        Directory.CreateDirectory(Path.Combine(root, "usr/lib/sysupdate.db.d"));

        var text = await Run("--root", root, "components");
        // 262's table (257 printed the bare names): the default set has no enabled/suggested state.
        Assert.Equal(
            "ENABLED SUGGESTED COMPONENT DESCRIPTION       DOCUMENTATION\n"
            + "-       -         <default> Default Component -\n"
            + "✓       ✗         db        -                 -\n"
            + "✓       ✗         web       -                 -\n",
            text.Stdout);
        var json = await Run("--root", root, "--json=short", "components");
        Assert.Equal("{\"default\":true,\"components\":[\"db\",\"web\"]}\n", json.Stdout);

        var none = await Run("--root", root, "-C", "web", "list");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("No transfer definitions for component 'web' found.", none.Stderr);
    }

    [Fact]
    public async Task Json_shapes_match_systemd_sysupdate()
    {
        var root = MakeRoot("1", "1");
        File.WriteAllText(Path.Combine(root, "srv/source/app_2.bin"), "2");

        Assert.Equal("{\"available\":\"2\"}\n", (await Run("--root", root, "--json=short", "check-new")).Stdout);
        var pretty = await Run("--root", root, "--json=pretty", "list");
        Assert.Equal("{\n\t\"current\" : \"1\",\n\t\"all\" : [\n\t\t\"2\",\n\t\t\"1\"\n\t],\n\t\"appstreamUrls\" : []\n}\n", pretty.Stdout);
        var version = JsonDocument.Parse((await Run("--root", root, "--json=short", "list", "1")).Stdout).RootElement;
        Assert.True(version.GetProperty("installed").GetBoolean());
        Assert.True(version.GetProperty("protected").GetBoolean());
        Assert.Equal(Path.Combine(root, "srv/target/app_1.bin"), version.GetProperty("contents")[0].GetProperty("path").GetString());
        Assert.Equal("{\"removed\":0,\"disabledTransfers\":0}\n", (await Run("--root", root, "--json=short", "vacuum")).Stdout);
    }

    [Theory]
    [InlineData(new[] { "--definitions", "/x", "--root", "/y", "list" }, "--definitions")]
    [InlineData(new[] { "--json=fancy", "list" }, "--json")]
    [InlineData(new[] { "--sync=maybe", "list" }, "--sync")]
    [InlineData(new[] { "-C", "../etc", "list" }, "Component")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    [InlineData(new[] { "-m", "99999999999", "vacuum" }, "--instances-max")]
    public async Task Usage_mistakes_exit_2_with_one_line(string[] args, string fragment)
    {
        var result = await Run(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("image-update: error: ", line);
        Assert.Contains(fragment, line);
    }

    [Theory]
    [InlineData("update", "1", ">= 2")]
    [InlineData("vacuum", "0", ">= 1")]
    public async Task Instances_max_has_sysupdate_bounds(string verb, string value, string fragment)
    {
        var root = MakeRoot("1", "1");

        var result = await Run("--root", root, "-m", value, verb);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(fragment, result.Stderr);
    }

    [Fact]
    public async Task Unknown_versions_are_reported_as_sysupdate_does()
    {
        var root = MakeRoot("1", "1");

        var result = await Run("--root", root, "list", "9.9");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("image-update: error: Update '9.9' not found.\n", result.Stderr);
    }

    [Fact]
    public async Task Help_lists_every_verb_and_option()
    {
        var help = await Run("--help");

        Assert.Equal(0, help.ExitCode);
        foreach (var word in new[] { "list", "check-new", "update", "acquire", "vacuum", "pending", "reboot", "features", "enable-feature", "disable-feature", "components",
                     "--definitions", "--root", "--component", "--transfer-source", "--instances-max", "--sync", "--verify", "--offline", "--reboot", "--json", "--no-pager", "--no-legend", "--verbose" })
        {
            Assert.Contains(word, help.Stdout);
        }
    }

    [Fact]
    public async Task A_symbolic_link_inside_the_root_never_leads_a_write_outside_it()
    {
        var root = MakeRoot("1");
        File.WriteAllText(Path.Combine(root, "srv/source/app_1.bin"), "1");
        var outside = Directory.CreateDirectory(_dir["outside"]).FullName;
        Directory.Delete(Path.Combine(root, "srv/target"));
        File.CreateSymbolicLink(Path.Combine(root, "srv/target"), outside);

        var result = await Run("--root", root, "update");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.True(File.Exists(Path.Combine(root, outside.TrimStart('/'), "app_1.bin")));
    }

    [Fact]
    public async Task Under_a_root_the_ESP_variable_names_a_path_inside_the_root()
    {
        var root = MakeRoot("1");
        File.WriteAllText(Path.Combine(root, "usr/lib/sysupdate.d/10-app.transfer"), """
            [Source]
            Type=regular-file
            Path=/srv/source
            MatchPattern=app_@v.bin

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=esp
            MatchPattern=app_@v.efi
            """);
        File.WriteAllText(Path.Combine(root, "srv/source/app_1.bin"), "1");
        var hostSide = "/" + Path.GetFileName(_dir.Path) + "-esp";

        var result = await ImageUpdateProcess.RunAsync(new Dictionary<string, string?> { ["SYSTEMD_ESP_PATH"] = hostSide }, "--root", root, "update");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(Directory.Exists(hostSide));
        Assert.True(File.Exists(Path.Combine(root, hostSide.TrimStart('/'), "EFI/Linux/app_1.efi")));
    }

    [Fact]
    public async Task Check_new_with_json_answers_in_the_document_and_exits_1_when_nothing_is_new()
    {
        // systemd 262 exits 1 here as without --json (257 exited 0); TEST-72 of 262 checks both.
        var root = MakeRoot("1", "1");

        var result = await Run("--root", root, "--json=short", "check-new");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("{\"available\":null}\n", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Update_with_json_prints_what_making_room_removed()
    {
        var root = MakeRoot("3", "1", "2", "3");
        File.WriteAllText(Path.Combine(root, "srv/source/app_4.bin"), "4");

        var result = await Run("--root", root, "--json=short", "update");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("{\"removed\":2,\"disabledTransfers\":0}\n", result.Stdout);
        Assert.True(File.Exists(Path.Combine(root, "srv/target/app_3.bin")), "the protected booted version was removed");
    }

    [Fact]
    public async Task Pending_without_an_installed_version_is_an_error_naming_it()
    {
        var root = MakeRoot("1");

        var result = await Run("--root", root, "pending");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Couldn't find any suitable installed versions.", result.Stderr);
    }

    [Fact]
    public async Task Reboot_refuses_to_start_without_a_booted_version_before_touching_anything()
    {
        var root = MakeRoot("1", "1");
        File.WriteAllText(Path.Combine(root, "etc/os-release"), "ID=demo\n");
        File.WriteAllText(Path.Combine(root, "srv/source/app_2.bin"), "2");

        var result = await Run("--definitions", Path.Combine(root, "usr/lib/sysupdate.d"), "--reboot", "update");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("lacks IMAGE_VERSION", result.Stderr);
    }
}
