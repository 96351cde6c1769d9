using ImageUpdate.Tests.Oracle;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Verity;

namespace ImageUpdate.Tests.Update.Verity;

public sealed class UkiCommandLineTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_command_line_of_a_UKI_made_by_ukify_262_is_read_from_its_cmdline_section()
    {
        // ukify from the systemd 262 chroot, with systemd-stub and a stand-in kernel (ukify only
        // warns that it is no PE file): the section layout of a real UKI.
        var oracle = SysupdateOracle.ForTest(output, 262);
        if (oracle is null)
        {
            return;
        }

        var work = Path.Combine(oracle.Root, "tmp", "image-update-uki-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            File.WriteAllBytes(Path.Combine(work, "vmlinuz"), new byte[65536]);
            var inside = "/" + Path.GetRelativePath(oracle.Root, work);
            var rootHash = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            var made = TestProcess.Run("chroot", [oracle.Root, "ukify", "build", $"--linux={inside}/vmlinuz", "--uname=6.1.0", $"--cmdline=console=ttyS0 usrhash={rootHash} ro",
                "--stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub", $"--output={inside}/uki.efi"]);
            Assert.True(made.ExitCode == 0, made.ToString());

            await using var uki = File.OpenRead(Path.Combine(work, "uki.efi"));
            var lines = await UkiCommandLine.ReadAsync(uki, "uki.efi", TestContext.Current.CancellationToken);

            Assert.Equal($"console=ttyS0 usrhash={rootHash} ro", Assert.Single(lines).TrimEnd());
            Assert.Equal([rootHash], UkiCommandLine.Values(lines[0], "usrhash"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
