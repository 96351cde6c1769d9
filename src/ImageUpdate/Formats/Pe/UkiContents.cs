namespace ImageUpdate.Formats.Pe;

/// <summary>
/// What a unified kernel image is made of (the UAPI group's UKI specification): systemd-stub, the
/// kernel, its initrds, and the texts systemd-stub hands on (.osrel, .cmdline, .uname). The byte
/// inputs carry the name of the file they came from, for errors.
/// </summary>
public sealed record UkiContents
{
    /// <summary>systemd-stub (systemd-boot-efi's linuxx64.efi.stub), unsigned.</summary>
    public required ReadOnlyMemory<byte> Stub { get; init; }

    public required string StubSource { get; init; }

    /// <summary>The kernel: an EFI-stub PE image (a Debian vmlinuz).</summary>
    public required ReadOnlyMemory<byte> Linux { get; init; }

    public required string LinuxSource { get; init; }

    /// <summary>The initrds, joined in order into one .initrd section (each padded to 4 bytes when there are several, as ukify joins them).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Initrds { get; init; } = [];

    /// <summary>The .osrel section (an os-release file as it is); null or empty: none.</summary>
    public ReadOnlyMemory<byte>? OsRelease { get; init; }

    /// <summary>The .cmdline section; null or empty: none.</summary>
    public string? CommandLine { get; init; }

    /// <summary>The .uname section ("uname -r" of the kernel); null or empty: none.</summary>
    public string? Uname { get; init; }
}
