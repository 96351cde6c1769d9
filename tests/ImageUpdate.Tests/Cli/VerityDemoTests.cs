using System.Text.Json;
using System.Text.RegularExpressions;
using ImageUpdate.Formats.Pe;
using ImageUpdate.Tests.Formats.Gpt;
using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Verity;

namespace ImageUpdate.Tests.Cli;

/// <summary>
/// `make demo`'s verity part (images/demo/run-verity-demo, whose commands README's walkthrough
/// shows) with the real program: build-image makes the erofs root, its hash tree, the signed root hash
/// and the UKI carrying it, signed for Secure Boot like systemd-boot (sbverify accepts both); v2 is
/// published and installed into the image after its root hash check; a v3 changed after signing is
/// refused. The UKI is then read by ukify 262's `inspect` and by our own reader.
/// </summary>
public sealed partial class VerityDemoTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new("verity-demo");

    public void Dispose() => _dir.Dispose();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ImageUpdate.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("No ImageUpdate.sln above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task The_demo_builds_signs_publishes_and_updates_a_verity_image_and_refuses_a_tampered_version()
    {
        GptTools.Require("sfdisk", "mkfs.vfat", "mdir", "mcopy", "mren", "mmd");
        TestEnvironment.RequireTools("apt-get install erofs-utils sbsigntool cpio binutils gpg openssl", "mkfs.erofs", "sbsign", "sbverify", "cpio", "objcopy", "gpg", "openssl", "python3");
        TestEnvironment.RequireFile("/usr/lib/systemd/boot/efi/linuxx64.efi.stub", "apt-get install systemd-boot-efi");
        TestEnvironment.RequireRoot("the demo kernel's cache in /var/cache/image-update/demo");
        var work = _dir["work"];

        var demo = await TestProcess.RunAsync(
            Path.Combine(RepositoryRoot(), "images/demo/run-verity-demo"),
            [],
            new Dictionary<string, string?> { ["IMAGE_UPDATE"] = ImageUpdateProcess.ProgramPath, ["DEMO_WORK"] = work },
            timeout: TimeSpan.FromMinutes(6));
        output.WriteLine(demo.ToString());

        Assert.True(demo.ExitCode == 0, demo.ToString());
        Assert.Equal(2, Regex.Count(demo.Stdout, "^Signature verification OK$", RegexOptions.Multiline));
        var rootHash = RootHashLine().Match(demo.Stdout).Groups[1].Value;
        Assert.Matches("^[0-9a-f]{64}$", rootHash);
        Assert.Contains($".cmdline: console=ttyS0 ro roothash={rootHash}\n", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("does not match the data in '", demo.Stderr, StringComparison.Ordinal);
        Assert.Contains("(exit status 1)", demo.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\S*\s+3\s.*partial", demo.Stdout);
        Assert.False(File.Exists(Path.Combine(work, "demo-2.raw")));

        // v2 is what the image now boots: its UKI, with a boot counter, beside v1's.
        var uki = Path.Combine(work, "out/2/demo_2.efi");
        var bytes = File.ReadAllBytes(uki);
        var pe = PeImage.Read(bytes, uki);
        Assert.Equal([".osrel", ".cmdline", ".linux", ".initrd"], pe.Sections.Select(s => s.Name).Where(n => n is ".osrel" or ".cmdline" or ".linux" or ".initrd"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(work, "vmlinuz")), PeImage.DataOf(bytes, pe.Sections.Single(s => s.Name == ".linux")).ToArray());
        var json = JsonDocument.Parse(File.ReadAllBytes(Directory.GetFiles(Path.Combine(work, "out/2"), "demo_2_*.root-verity-sig.raw").Single()));
        var rootHash2 = json.RootElement.GetProperty("rootHash").GetString();
        await using (var stream = new MemoryStream(bytes))
        {
            var lines = await UkiCommandLine.ReadAsync(stream, uki, TestContext.Current.CancellationToken);
            Assert.Equal([rootHash2!], UkiCommandLine.Values(Assert.Single(lines), "roothash"));
        }

        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        // ukify 262 reads the signed UKI's sections as it would its own.
        var inside = Path.Combine(oracle.Root, "tmp", "image-update-demo-uki-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(inside);
        try
        {
            File.Copy(uki, Path.Combine(inside, "uki.efi"));
            var inspect = TestProcess.Run("chroot", [oracle.Root, "ukify", "--json=short", "inspect", "/" + Path.GetRelativePath(oracle.Root, inside) + "/uki.efi"]);
            Assert.True(inspect.ExitCode == 0, inspect.ToString());
            using var sections = JsonDocument.Parse(inspect.Stdout);
            Assert.Equal($"console=ttyS0 ro roothash={rootHash2}", sections.RootElement.GetProperty(".cmdline").GetProperty("text").GetString());
            Assert.Contains("IMAGE_VERSION=2", sections.RootElement.GetProperty(".osrel").GetProperty("text").GetString(), StringComparison.Ordinal);
            Assert.Equal(new FileInfo(Path.Combine(work, "vmlinuz")).Length, sections.RootElement.GetProperty(".linux").GetProperty("size").GetInt64());
        }
        finally
        {
            Directory.Delete(inside, recursive: true);
        }
    }

    [GeneratedRegex("^rootHash: ([0-9a-f]+)$", RegexOptions.Multiline)]
    private static partial Regex RootHashLine();
}
