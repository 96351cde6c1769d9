using ImageUpdate.Tests.Support;

namespace ImageUpdate.Tests.Differential;

/// <summary>
/// One state of the world for comparing image-update with the real systemd-sysupdate: a definitions
/// directory, a source directory and target directories, all under one work directory so the
/// oracle's chroot sees them at the same paths. Built by hand (files in targets), so both tools
/// judge exactly the same state.
/// </summary>
public sealed class DifferentialScenario : IDisposable
{
    private readonly TempDirectory _dir = new("image-update-diff-");

    public DifferentialScenario()
    {
        foreach (var d in new[] { "defs", "source", "files", "dirs", "trees", "xbootldr/EFI/Linux", "esp/EFI/Linux" })
        {
            Directory.CreateDirectory(_dir[d]);
        }
    }

    public string Work => _dir.Path;

    public string Definitions => _dir["defs"];

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["SYSTEMD_ESP_PATH"] = _dir["esp"],
        ["SYSTEMD_XBOOTLDR_PATH"] = _dir["xbootldr"],
    };

    public string this[string relative] => _dir[relative];

    public DifferentialScenario Transfer(string name, string text)
    {
        File.WriteAllText(Path.Combine(Definitions, name), text.Replace("@W@", Work, StringComparison.Ordinal) + "\n");
        return this;
    }

    /// <summary>A regular file (or, for names ending in '/', a directory with one file) under the work directory.</summary>
    public DifferentialScenario With(params string[] relatives)
    {
        foreach (var relative in relatives)
        {
            if (relative.EndsWith('/'))
            {
                var dir = _dir[relative.TrimEnd('/')];
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, "content"), relative);
            }
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_dir[relative])!);
                File.WriteAllText(_dir[relative], relative);
            }
        }

        return this;
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>The four-transfer set most scenarios use: a file, a UKI with boot counting, a directory, a tarball.</summary>
    public DifferentialScenario Standard()
    {
        Transfer("10-file.transfer", """
            [Source]
            Type=regular-file
            Path=@W@/source
            MatchPattern=rootfs_@v.raw

            [Target]
            Type=regular-file
            Path=@W@/files
            MatchPattern=rootfs_@v.img
            InstancesMax=3
            """);
        Transfer("20-dir.transfer", """
            [Source]
            Type=directory
            Path=@W@/source
            MatchPattern=tree_@v

            [Target]
            Type=directory
            Path=@W@/dirs
            MatchPattern=tree_@v
            """);
        Transfer("30-tar.transfer", """
            [Source]
            Type=tar
            Path=@W@/source
            MatchPattern=app_@v.tar.gz

            [Target]
            Type=directory
            Path=@W@/trees
            MatchPattern=app_@v
            """);
        Transfer("90-uki.transfer", """
            [Source]
            Type=regular-file
            Path=@W@/source
            MatchPattern=uki_@v.efi

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=boot
            MatchPattern=uki_@v+@l-@d.efi uki_@v+@l.efi uki_@v.efi
            TriesLeft=3
            InstancesMax=2
            """);
        return this;
    }

    /// <summary>Every source file of the standard transfers for VERSION.</summary>
    public DifferentialScenario Available(string version) =>
        With($"source/rootfs_{version}.raw", $"source/tree_{version}/", $"source/app_{version}.tar.gz", $"source/uki_{version}.efi");

    /// <summary>Every target of the standard transfers holding VERSION (UKI blessed or with counters).</summary>
    public DifferentialScenario Installed(string version, string ukiName = "uki_{0}.efi") =>
        With($"files/rootfs_{version}.img", $"dirs/tree_{version}/", $"trees/app_{version}/", "xbootldr/EFI/Linux/" + string.Format(System.Globalization.CultureInfo.InvariantCulture, ukiName, version));
}
