using System.Security.Cryptography;

namespace ImageUpdate.Tests.Support;

/// <summary>
/// The file and directory part of systemd's test/units/TEST-72-SYSUPDATE.sh, rebuilt for our tests
/// (and the oracle's): the same transfer definitions (03 directory with CurrentSymlink, 04 UKI with
/// boot counting into $BOOT, 05 addon, 06/07 read-only erofs files, 99 optional feature), plus a tar
/// source, and `new_version` making each version's source files.
/// </summary>
public sealed class Test72Scenario : IDisposable
{
    private readonly TempDirectory _dir = new("image-update-t72-");

    public Test72Scenario()
    {
        Directory.CreateDirectory(Source);
        Directory.CreateDirectory(Definitions);
        Directory.CreateDirectory(Path.Combine(Esp, "EFI/Linux"));
        Directory.CreateDirectory(Path.Combine(Xbootldr, "EFI/Linux"));
        WriteDefinitions();
    }

    public string Work => _dir.Path;

    public string Source => _dir["source"];

    public string Definitions => _dir["defs"];

    public string Esp => _dir["esp"];

    public string Xbootldr => _dir["xbootldr"];

    public string Dirs => _dir["dirs"];

    public string TarDirs => _dir["tardirs"];

    public string System => _dir["system"];

    public string UkiDir => Path.Combine(Xbootldr, "EFI/Linux");

    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["SYSTEMD_ESP_PATH"] = Esp,
        ["SYSTEMD_XBOOTLDR_PATH"] = Xbootldr,
    };

    public static IEnumerable<string> TransferFiles => ["03-third", "04-fourth", "05-fifth", "06-sixth", "07-seventh", "08-eighth", "99-optional"];

    /// <summary>new_version V: random payloads for every transfer (the addon only when asked).</summary>
    public void NewVersion(string version, bool withExtra = true)
    {
        File.WriteAllBytes(Path.Combine(Source, $"uki-{version}.efi"), RandomNumberGenerator.GetBytes(4096));
        if (withExtra)
        {
            File.WriteAllBytes(Path.Combine(Source, $"uki-extra-{version}.efi"), RandomNumberGenerator.GetBytes(4096));
        }

        File.WriteAllBytes(Path.Combine(Source, $"optional-{version}.efi"), RandomNumberGenerator.GetBytes(4096));
        File.WriteAllBytes(Path.Combine(Source, $"linux-{version}.erofs"), RandomNumberGenerator.GetBytes(8192));
        File.WriteAllBytes(Path.Combine(Source, $"linux-{version}.erofs.caibx"), RandomNumberGenerator.GetBytes(1024));
        var dir = Path.Combine(Source, $"dir-{version}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "foo.txt"), $"foo {version}\n");
        File.WriteAllText(Path.Combine(dir, "bar.txt"), $"bar {version}\n");
        Run("tar", "-C", dir, "-czf", Path.Combine(Source, $"dir-{version}.tar.gz"), ".");
    }

    public void WriteDefinitions()
    {
        Write("03-third.transfer", $"""
            [Source]
            Type=directory
            Path={Source}
            MatchPattern=dir-@v

            [Target]
            Type=directory
            Path={Dirs}
            CurrentSymlink={Dirs}/current
            MatchPattern=dir-@v
            InstancesMax=3
            """);
        Write("04-fourth.transfer", $"""
            [Source]
            Type=regular-file
            Path={Source}
            MatchPattern=uki-@v.efi

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=boot
            MatchPattern=uki_@v+@l-@d.efi \
                         uki_@v+@l.efi \
                         uki_@v.efi
            Mode=0444
            TriesLeft=3
            TriesDone=0
            InstancesMax=2
            """);
        Write("05-fifth.transfer", $"""
            [Source]
            Type=regular-file
            Path={Source}
            MatchPattern=uki-extra-@v.efi

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=boot
            MatchPattern=uki_@v.efi.extra.d/extra.addon.efi
            Mode=0444
            InstancesMax=2
            """);
        Write("06-sixth.transfer", $"""
            [Source]
            Type=regular-file
            Path={Source}
            MatchPattern=linux-@v.erofs

            [Target]
            Type=regular-file
            Path={System}
            MatchPattern=linux-@v.erofs
            ReadOnly=yes
            InstancesMax=4
            """);
        Write("07-seventh.transfer", $"""
            [Source]
            Type=regular-file
            Path={Source}
            MatchPattern=linux-@v.erofs.caibx

            [Target]
            Type=regular-file
            Path={System}
            MatchPattern=linux-@v.erofs.caibx
            ReadOnly=yes
            InstancesMax=4
            """);
        Write("08-eighth.transfer", $"""
            [Source]
            Type=tar
            Path={Source}
            MatchPattern=dir-@v.tar.gz

            [Target]
            Type=directory
            Path={TarDirs}
            MatchPattern=tree-@v
            InstancesMax=3
            """);
        Write("optional.feature", """
            [Feature]
            Description=Optional Feature
            """);
        Write("99-optional.transfer", $"""
            [Transfer]
            Features=optional

            [Source]
            Type=regular-file
            Path={Source}
            MatchPattern=optional-@v.efi

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=boot
            MatchPattern=uki_@v.efi.extra.d/optional.efi
            Mode=0444
            InstancesMax=2
            """);
    }

    public void Write(string name, string text) => File.WriteAllText(Path.Combine(Definitions, name), text + "\n");

    public Task<RunResult> RunAsync(params string[] args) =>
        ImageUpdateProcess.RunAsync(Environment, ["--definitions", Definitions, .. args]);

    /// <summary>verify V: what TEST-72 checks after installing V (file and directory parts).</summary>
    public void AssertInstalled(string version, bool current = true)
    {
        Assert.True(File.Exists(Path.Combine(UkiDir, $"uki_{version}+3-0.efi")), $"uki_{version}+3-0.efi missing");
        Assert.Equal(File.ReadAllBytes(Path.Combine(Source, $"uki-{version}.efi")), File.ReadAllBytes(Path.Combine(UkiDir, $"uki_{version}+3-0.efi")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Esp, "EFI/Linux")));
        Assert.True(File.Exists(Path.Combine(UkiDir, $"uki_{version}.efi.extra.d/extra.addon.efi")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Source, $"linux-{version}.erofs")), File.ReadAllBytes(Path.Combine(System, $"linux-{version}.erofs")));
        Assert.True(File.Exists(Path.Combine(System, $"linux-{version}.erofs.caibx")));
        Assert.Equal($"foo {version}\n", File.ReadAllText(Path.Combine(TarDirs, $"tree-{version}", "foo.txt")));
        if (current)
        {
            Assert.Equal($"foo {version}\n", File.ReadAllText(Path.Combine(Dirs, "current", "foo.txt")));
            Assert.Equal($"bar {version}\n", File.ReadAllText(Path.Combine(Dirs, "current", "bar.txt")));
        }
    }

    public static void Run(string program, params string[] args)
    {
        var result = TestProcess.Run(program, args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed: {result.Stderr}");
        }
    }

    public void Dispose() => _dir.Dispose();
}
