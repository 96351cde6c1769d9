using System.CommandLine;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Update.Imaging;

namespace ImageUpdate.Cli.Commands;

public sealed partial class CommandLineApp
{
    private void AddBuildImageVerb(Command root)
    {
        var layout = new Argument<string>("IMAGE_DIR") { Description = "The disk layout: a directory of systemd-repart repart.d files" };
        var version = new Option<string>("--version") { Description = "The version to install into the new image", HelpName = "VERSION", Required = true };
        var payloads = new Option<string>("--payloads") { Description = "The version's files, named by each transfer's source MatchPattern", HelpName = "DIR", Required = true };
        var output = new Option<string>("--output") { Description = "The disk image to write", HelpName = "FILE", Required = true };
        var sectorSize = new Option<int>("--sector-size") { Description = "Logical sector size: 512 or 4096 (default 512)", HelpName = "BYTES", DefaultValueFactory = _ => 512 };
        var size = new Option<string?>("--size") { Description = "The image size in bytes (K, M, G suffixes), or auto (default: the smallest that fits)", HelpName = "BYTES" };
        var seed = new Option<string?>("--seed") { Description = "The UUID the disk and partition UUIDs are derived from (default: derived from the version)", HelpName = "UUID" };
        var copySource = new Option<string?>("--copy-source") { Description = "The tree CopyFiles= sources are found in", HelpName = "DIR" };
        var split = new Option<string?>("--split") { Description = "Write each filled partition's payload into DIR, named for the transfers' source patterns", HelpName = "DIR" };
        var privateKey = new Option<string?>("--private-key") { Description = "PEM private key that signs Verity=signature partitions", HelpName = "FILE" };
        var certificate = new Option<string?>("--certificate") { Description = "PEM X.509 certificate of --private-key", HelpName = "FILE" };
        var secureBootKey = new Option<string?>("--secure-boot-key") { Description = "PEM key systemd-boot is signed with for Secure Boot", HelpName = "FILE" };
        var secureBootCertificate = new Option<string?>("--secure-boot-certificate") { Description = "PEM certificate of --secure-boot-key", HelpName = "FILE" };
        var ukiStub = new Option<string?>("--uki-stub") { Description = $"systemd-stub the UKI is made from (default {UkiBuildOptions.DefaultStubPath})", HelpName = "FILE" };
        var ukiLinux = new Option<string?>("--uki-linux") { Description = "Make the version's UKI from this kernel, with the image's root hash on its command line", HelpName = "FILE" };
        var ukiInitrd = new Option<string[]>("--uki-initrd") { Description = "An initrd of the UKI (repeatable, joined in order)", HelpName = "FILE", AllowMultipleArgumentsPerToken = false };
        var ukiOsRelease = new Option<string?>("--uki-os-release") { Description = "The os-release file of the UKI's .osrel section", HelpName = "FILE" };
        var ukiCmdline = new Option<string?>("--uki-cmdline") { Description = "The UKI's kernel command line; roothash=/usrhash= is added", HelpName = "TEXT" };
        var ukiUname = new Option<string?>("--uki-uname") { Description = "The kernel release for the UKI's .uname section", HelpName = "TEXT" };
        var command = new Command("build-image", "Build a bootable disk image: create the GPT, format the ESP, install systemd-boot, then install VERSION through the normal update path")
        {
            layout, version, payloads, output, sectorSize, size, seed, copySource, split, privateKey, certificate, secureBootKey, secureBootCertificate,
            ukiStub, ukiLinux, ukiInitrd, ukiOsRelease, ukiCmdline, ukiUname,
        };
        command.SetAction((r, ct) => BuildImageAsync(
            r,
            new BuildImageRequest(r.GetValue(layout)!, r.GetValue(version)!, r.GetValue(payloads)!, r.GetValue(output)!, r.GetValue(sectorSize), r.GetValue(size), r.GetValue(seed))
            {
                CopySource = r.GetValue(copySource),
                Split = r.GetValue(split),
                PrivateKey = r.GetValue(privateKey),
                Certificate = r.GetValue(certificate),
                SecureBootKey = r.GetValue(secureBootKey),
                SecureBootCertificate = r.GetValue(secureBootCertificate),
                Uki = UkiRequest(r.GetValue(ukiStub), r.GetValue(ukiLinux), r.GetValue(ukiInitrd) ?? [], r.GetValue(ukiOsRelease), r.GetValue(ukiCmdline), r.GetValue(ukiUname)),
            },
            ct));
        root.Subcommands.Add(command);
    }

    private async Task<int> BuildImageAsync(ParseResult r, BuildImageRequest request, CancellationToken cancellationToken)
    {
        var options = _global.ToEngineOptions(r);
        Guid? seed = request.Seed is null ? null
            : Guid.TryParse(request.Seed, out var parsed) ? parsed
            : throw new UsageException($"--seed must be a UUID, not '{UntrustedText.Escape(request.Seed)}'.");
        var json = _global.JsonMode(r);
        var logger = CreateLogger(r);
        var output = await ImageBuild.RunAsync(
            new ImageBuildOptions
            {
                Engine = options,
                LayoutDirectory = Path.GetFullPath(request.LayoutDirectory),
                Version = request.Version,
                PayloadsDirectory = Path.GetFullPath(request.Payloads),
                Output = Path.GetFullPath(request.Output),
                SectorSize = request.SectorSize,
                Size = ParseSize(request.Size),
                Seed = seed,
                SourceDateEpoch = _environment.SourceDateEpoch,
                CopySource = request.CopySource is null ? null : Path.GetFullPath(request.CopySource),
                SplitDirectory = request.Split is null ? null : Path.GetFullPath(request.Split),
                PrivateKey = request.PrivateKey is null ? null : Path.GetFullPath(request.PrivateKey),
                Certificate = request.Certificate is null ? null : Path.GetFullPath(request.Certificate),
                SecureBootKey = request.SecureBootKey is null ? null : Path.GetFullPath(request.SecureBootKey),
                SecureBootCertificate = request.SecureBootCertificate is null ? null : Path.GetFullPath(request.SecureBootCertificate),
                Uki = request.Uki,
                Services = Services(logger),
            },
            logger,
            NewConsoleProgress(json),
            cancellationToken).ConfigureAwait(false);
        _out.WriteLine($"Built {output} with version {request.Version}.");
        return 0;
    }

    /// <summary>The UKI build-image makes, with paths made absolute; null without --uki-linux (then no other --uki-* may be given).</summary>
    private static UkiBuildOptions? UkiRequest(string? stub, string? linux, string[] initrds, string? osRelease, string? commandLine, string? uname)
    {
        if (linux is null)
        {
            return stub is null && initrds.Length == 0 && osRelease is null && commandLine is null && uname is null
                ? null
                : throw new UsageException("build-image's --uki-* options need --uki-linux: the kernel the UKI is made from.");
        }

        return new UkiBuildOptions
        {
            Stub = Path.GetFullPath(stub ?? UkiBuildOptions.DefaultStubPath),
            Linux = Path.GetFullPath(linux),
            Initrds = [.. initrds.Select(Path.GetFullPath)],
            OsRelease = osRelease is null ? null : Path.GetFullPath(osRelease),
            CommandLine = commandLine,
            Uname = uname,
        };
    }

    private static ulong? ParseSize(string? text)
    {
        if (text is null or "auto")
        {
            return null;
        }

        var multiplier = char.ToUpperInvariant(text[^1]) switch { 'K' => 1UL << 10, 'M' => 1UL << 20, 'G' => 1UL << 30, 'T' => 1UL << 40, _ => 1UL };
        var digits = multiplier == 1 ? text : text[..^1];
        return ulong.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value <= ulong.MaxValue / multiplier
            ? value * multiplier
            : throw new UsageException($"--size must be a number of bytes (with K, M, G or T) or auto, not '{UntrustedText.Escape(text)}'.");
    }

    private sealed record BuildImageRequest(string LayoutDirectory, string Version, string Payloads, string Output, int SectorSize, string? Size, string? Seed)
    {
        public string? CopySource { get; init; }

        public string? Split { get; init; }

        public string? PrivateKey { get; init; }

        public string? Certificate { get; init; }

        public string? SecureBootKey { get; init; }

        public string? SecureBootCertificate { get; init; }

        public UkiBuildOptions? Uki { get; init; }
    }
}
