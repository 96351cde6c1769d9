using ImageUpdate.Formats.Pe;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Platform.Processes;
using ImageUpdate.Tests.Formats.Pe;
using ImageUpdate.Tests.Support;
using ImageUpdate.Update.Imaging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Tests.Update.Imaging;

public sealed class UkiBuildTests : IDisposable
{
    private static readonly byte[] Hash = Convert.FromHexString("9d1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8");
    private readonly TempDirectory _dir = new("uki-build");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_command_line_gets_single_spaces_and_the_root_hash_after_it()
    {
        Assert.Equal(
            "console=ttyS0 ro roothash=9d1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8",
            UkiBuild.CommandLine("  console=ttyS0 \t ro\n", [("roothash", Hash)]));
        Assert.Equal("usrhash=9d1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8", UkiBuild.CommandLine(null, [("usrhash", Hash)]));
        Assert.Equal("quiet", UkiBuild.CommandLine("quiet", []));
    }

    [Theory]
    [InlineData("ro roothash=00")]
    [InlineData("ro rd.roothash=00")]
    public void A_command_line_that_names_the_root_hash_already_is_refused(string commandLine)
    {
        var e = Assert.Throws<UsageException>(() => UkiBuild.CommandLine(commandLine, [("roothash", Hash)]));

        Assert.Equal("--uki-cmdline already has roothash=; build-image adds it from the image's verity partition.", e.Message);
    }

    [Fact]
    public async Task A_missing_input_is_one_line_naming_it()
    {
        File.WriteAllBytes(_dir["stub.efi"], TestPe.Stub());
        var options = new UkiBuildOptions { Stub = _dir["stub.efi"], Linux = _dir["no-such-vmlinuz"] };

        var e = await Assert.ThrowsAsync<DiskImageException>(() => UkiBuild.WriteAsync(options, [], _dir["uki.efi"], null, new ProcessRunner(), NullLogger.Instance, TestContext.Current.CancellationToken));

        Assert.StartsWith($"Cannot read the UKI's kernel (--uki-linux) '{_dir["no-such-vmlinuz"]}': ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(_dir["uki.efi"]));
    }

    [Fact]
    public async Task A_stub_that_is_no_PE_image_is_one_line_naming_it()
    {
        File.WriteAllText(_dir["stub.efi"], "#!/bin/sh\n");
        File.WriteAllBytes(_dir["vmlinuz"], TestPe.Kernel());
        var options = new UkiBuildOptions { Stub = _dir["stub.efi"], Linux = _dir["vmlinuz"] };

        var e = await Assert.ThrowsAsync<PeFormatException>(() => UkiBuild.WriteAsync(options, [], _dir["uki.efi"], null, new ProcessRunner(), NullLogger.Instance, TestContext.Current.CancellationToken));

        Assert.Equal($"PE image '{_dir["stub.efi"]}': no MS-DOS header (\"MZ\"), so it is not a PE image.", e.Message);
    }

    [Fact]
    public async Task The_unsigned_UKI_is_the_assemblers_and_the_signed_one_passes_sbverify()
    {
        File.WriteAllBytes(_dir["stub.efi"], TestPe.Stub());
        File.WriteAllBytes(_dir["vmlinuz"], TestPe.Kernel());
        File.WriteAllBytes(_dir["initrd"], TestPe.Filler(1000, 5));
        File.WriteAllText(_dir["os-release"], "ID=demo\n");
        var options = new UkiBuildOptions { Stub = _dir["stub.efi"], Linux = _dir["vmlinuz"], Initrds = [_dir["initrd"]], OsRelease = _dir["os-release"], CommandLine = "ro", Uname = "6.1.0" };
        var ct = TestContext.Current.CancellationToken;

        await UkiBuild.WriteAsync(options, [("roothash", Hash)], _dir["unsigned.efi"], null, new ProcessRunner(), NullLogger.Instance, ct);

        var expected = UkiAssembler.Build(new UkiContents
        {
            Stub = TestPe.Stub(),
            StubSource = "stub",
            Linux = TestPe.Kernel(),
            LinuxSource = "kernel",
            Initrds = [TestPe.Filler(1000, 5)],
            OsRelease = "ID=demo\n"u8.ToArray(),
            CommandLine = "ro roothash=" + Convert.ToHexStringLower(Hash),
            Uname = "6.1.0",
        });
        Assert.Equal(expected, File.ReadAllBytes(_dir["unsigned.efi"]));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".#*"));

        TestEnvironment.RequireTools("apt-get install sbsigntool openssl", "sbsign", "sbverify", "openssl");
        TestProcess.RunChecked("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=db", "-keyout", _dir["db.key"], "-out", _dir["db.crt"]]);
        await UkiBuild.WriteAsync(options, [("roothash", Hash)], _dir["signed.efi"], (_dir["db.key"], _dir["db.crt"]), new ProcessRunner(), NullLogger.Instance, ct);

        var verify = TestProcess.Run("sbverify", ["--cert", _dir["db.crt"], _dir["signed.efi"]]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.NotEqual(0, TestProcess.Run("sbverify", ["--cert", _dir["db.crt"], _dir["unsigned.efi"]]).ExitCode);
        Assert.Empty(Directory.GetFiles(_dir.Path, ".#*"));
    }

    [Fact]
    public async Task A_signer_that_fails_after_writing_leaves_the_old_UKI_and_no_temporary()
    {
        var options = Inputs();
        File.WriteAllBytes(_dir["uki.efi"], "the old UKI"u8.ToArray());
        var runner = new PartlyWritingSigner();

        await Assert.ThrowsAsync<ExternalToolException>(() => UkiBuild.WriteAsync(options, [("roothash", Hash)], _dir["uki.efi"], (_dir["db.key"], _dir["db.crt"]), runner, NullLogger.Instance, TestContext.Current.CancellationToken));

        Assert.NotNull(runner.Output);
        Assert.NotEqual(_dir["uki.efi"], runner.Output);
        Assert.Equal(_dir.Path, Path.GetDirectoryName(runner.Output));
        Assert.Equal("the old UKI"u8.ToArray(), File.ReadAllBytes(_dir["uki.efi"]));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".#*"));
    }

    [Fact]
    public async Task Sbsign_with_a_bad_key_file_leaves_no_UKI_and_no_temporary()
    {
        TestEnvironment.RequireTools("apt-get install sbsigntool openssl", "sbsign", "openssl");
        var options = Inputs();
        TestProcess.RunChecked("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=db", "-keyout", _dir["db.key"], "-out", _dir["db.crt"]]);
        File.WriteAllText(_dir["bad.key"], "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");

        await Assert.ThrowsAsync<ExternalToolException>(() => UkiBuild.WriteAsync(options, [("roothash", Hash)], _dir["uki.efi"], (_dir["bad.key"], _dir["db.crt"]), new ProcessRunner(), NullLogger.Instance, TestContext.Current.CancellationToken));

        Assert.False(File.Exists(_dir["uki.efi"]));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".#*"));
    }

    private UkiBuildOptions Inputs()
    {
        File.WriteAllBytes(_dir["stub.efi"], TestPe.Stub());
        File.WriteAllBytes(_dir["vmlinuz"], TestPe.Kernel());
        return new UkiBuildOptions { Stub = _dir["stub.efi"], Linux = _dir["vmlinuz"], CommandLine = "ro" };
    }

    /// <summary>An sbsign that writes half its output, then fails.</summary>
    private sealed class PartlyWritingSigner : IProcessRunner
    {
        public string? Output { get; private set; }

        public async Task<ProcessResult> RunAsync(ProcessRequest request, CancellationToken cancellationToken)
        {
            Output = request.Arguments[request.Arguments.ToList().IndexOf("--output") + 1];
            await File.WriteAllBytesAsync(Output, "MZ partial"u8.ToArray(), cancellationToken);
            throw new ExternalToolException([request.FileName, .. request.Arguments], 1, "sbsign: write error", "sign the UKI");
        }
    }
}
