using ImageUpdate.Tests.Formats.Gpt;

namespace ImageUpdate.Tests.Support;

/// <summary>
/// A disk image like the demo OS's: an ESP (FAT, made by mkfs.vfat, placed with dd-like copying) and
/// two `_empty` root slots, plus transfer definitions writing a root partition and a boot-counted UKI
/// into it from a directory of payloads. Runs image-update with --image on it.
/// </summary>
public sealed class DiskImageScenario : IDisposable
{
    public const long EspOffset = 1 << 20;
    private const int EspSizeKiB = 32 * 1024;
    private readonly TempDirectory _dir = new("image-scenario");

    public DiskImageScenario(int instancesMax = 2)
    {
        Directory.CreateDirectory(Payloads);
        Directory.CreateDirectory(Definitions);
        Disk = GptTools.NewImage(_dir.Path, "disk.raw", 200L << 20);
        GptTools.Sfdisk(Disk, """
            label: gpt
            start=2048, size=65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="ESP"
            size=120M, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="_empty"
            size=40M, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="_empty"
            """);
        var esp = _dir["esp.img"];
        GptTools.Run("mkfs.vfat", ["-C", esp, EspSizeKiB.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using (var source = File.OpenRead(esp))
        using (var target = new FileStream(Disk, FileMode.Open, FileAccess.Write))
        {
            target.Position = EspOffset;
            source.CopyTo(target);
        }

        File.Delete(esp);
        File.WriteAllText(Path.Combine(Definitions, "10-root.transfer"), $"""
            [Source]
            Type=regular-file
            Path={Payloads}
            MatchPattern=demo_@v.root

            [Target]
            Type=partition
            Path=auto
            MatchPattern=demo_@v
            MatchPartitionType=root-x86-64
            """);
        File.WriteAllText(Path.Combine(Definitions, "90-uki.transfer"), $"""
            [Source]
            Type=regular-file
            Path={Payloads}
            MatchPattern=demo_@v.efi

            [Target]
            Type=regular-file
            Path=/EFI/Linux
            PathRelativeTo=boot
            MatchPattern=demo_@v+@l-@d.efi demo_@v+@l.efi demo_@v.efi
            TriesLeft=3
            TriesDone=0
            InstancesMax={instancesMax}
            """);
    }

    public string Disk { get; }

    public string Payloads => _dir["payloads"];

    public string Definitions => _dir["definitions"];

    public string Root(string version) => Path.Combine(Payloads, $"demo_{version}.root");

    public string Uki(string version) => Path.Combine(Payloads, $"demo_{version}.efi");

    /// <summary>Payloads for <paramref name="version"/>: a root image and a UKI whose bytes name the version.</summary>
    public void NewVersion(string version, int rootBytes = 3 << 20)
    {
        var root = new byte[rootBytes];
        new Random(version.GetHashCode(StringComparison.Ordinal)).NextBytes(root);
        File.WriteAllBytes(Root(version), root);
        File.WriteAllText(Uki(version), $"UKI of {version}\n" + new string('x', 100_000));
    }

    public Task<RunResult> RunAsync(params string[] args) => RunAsync(null, args);

    public Task<RunResult> RunAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        ImageUpdateProcess.RunAsync(environment, ["--image", Disk, "--definitions", Definitions, .. args]);

    /// <summary>The ESP's files, as `mdir -/ -b` lists them (directories end in '/').</summary>
    public IReadOnlyList<string> EspFiles() => GptTools.Run("mdir", ["-i", $"{Disk}@@{EspOffset}", "-/", "-b", "::/"])
        .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToList();

    public byte[] EspFile(string path)
    {
        var copy = _dir[$"copy-{Guid.NewGuid():N}"];
        GptTools.Run("mcopy", ["-n", "-i", $"{Disk}@@{EspOffset}", "::" + path, copy]);
        return File.ReadAllBytes(copy);
    }

    /// <summary>`fsck.fat -n` on a copy of the ESP: what it reports when the file system is not clean, else null.</summary>
    public string? EspProblems()
    {
        var copy = _dir[$"esp-{Guid.NewGuid():N}.img"];
        using (var disk = File.OpenRead(Disk))
        using (var esp = File.Create(copy))
        {
            disk.Position = EspOffset;
            var buffer = new byte[EspSizeKiB * 1024L];
            disk.ReadExactly(buffer);
            esp.Write(buffer);
        }

        var (exitCode, stdout, stderr) = GptTools.RunRaw("fsck.fat", ["-n", copy]);
        File.Delete(copy);
        return exitCode == 0 ? null : stdout + stderr;
    }

    public void Dispose() => _dir.Dispose();
}
