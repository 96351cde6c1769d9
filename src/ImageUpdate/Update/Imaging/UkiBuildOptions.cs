namespace ImageUpdate.Update.Imaging;

/// <summary>
/// build-image's `--uki-*` options: the inputs of the version's unified kernel image, which build-image
/// assembles (<see cref="UkiBuild"/>) with the image's verity root hashes on its command line.
/// </summary>
public sealed record UkiBuildOptions
{
    /// <summary>Where systemd-boot-efi installs systemd-stub for x86-64.</summary>
    public const string DefaultStubPath = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub";

    /// <summary>systemd-stub, unsigned (`--uki-stub`).</summary>
    public string Stub { get; init; } = DefaultStubPath;

    /// <summary>The kernel, an EFI-stub PE image (`--uki-linux`).</summary>
    public required string Linux { get; init; }

    /// <summary>The initrds in order (`--uki-initrd`, repeatable).</summary>
    public IReadOnlyList<string> Initrds { get; init; } = [];

    /// <summary>The os-release file for .osrel (`--uki-os-release`); null: none.</summary>
    public string? OsRelease { get; init; }

    /// <summary>The kernel command line (`--uki-cmdline`); build-image adds roothash=/usrhash= to it.</summary>
    public string? CommandLine { get; init; }

    /// <summary>The kernel's release for .uname (`--uki-uname`); null: none.</summary>
    public string? Uname { get; init; }
}
