using ImageUpdate.Update.Engine;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// What `build-image` builds: the disk layout (a repart.d directory), the version and its payloads,
/// the output file, and the settings that make the same inputs give the same bytes.
/// </summary>
public sealed record ImageBuildOptions
{
    /// <summary>
    /// The transfers that install the version into the image (<see cref="EngineOptions.DefinitionsDirectory"/>
    /// required; neither <see cref="EngineOptions.Image"/> nor a root: the image is <see cref="Output"/>).
    /// </summary>
    public required EngineOptions Engine { get; init; }

    /// <summary>The engine's effects for installing into the image (the program's one record).</summary>
    public EngineServices Services { get; init; } = EngineServices.Default;

    /// <summary>The repart.d directory.</summary>
    public required string LayoutDirectory { get; init; }

    public required string Version { get; init; }

    /// <summary>The version's files, named by each transfer's source MatchPattern.</summary>
    public required string PayloadsDirectory { get; init; }

    /// <summary>The disk image to write (an absolute path).</summary>
    public required string Output { get; init; }

    public int SectorSize { get; init; } = 512;

    /// <summary>The image size in bytes; null: the smallest that fits.</summary>
    public ulong? Size { get; init; }

    /// <summary>What the disk and partition UUIDs derive from; null: <see cref="ImageBuild.SeedFor"/> the version.</summary>
    public Guid? Seed { get; init; }

    /// <summary>SOURCE_DATE_EPOCH as the caller read it from its environment (null or empty: unset).</summary>
    public string? SourceDateEpoch { get; init; }

    /// <summary>The tree CopyFiles= sources are found in (repart's --copy-source); null: CopyFiles= is refused.</summary>
    public string? CopySource { get; init; }

    /// <summary>
    /// Where the filled partitions' payloads go, named for the transfers' source patterns
    /// (<see cref="SplitPayloads"/>); null: a temporary beside the output, removed after the build.
    /// </summary>
    public string? SplitDirectory { get; init; }

    /// <summary>The PEM private key that signs Verity=signature partitions (repart's --private-key).</summary>
    public string? PrivateKey { get; init; }

    /// <summary>The PEM X.509 certificate of <see cref="PrivateKey"/> (repart's --certificate).</summary>
    public string? Certificate { get; init; }

    /// <summary>The PEM key systemd-boot is signed with for Secure Boot (with <see cref="SecureBootCertificate"/>); null: unsigned.</summary>
    public string? SecureBootKey { get; init; }

    /// <summary>The PEM certificate of <see cref="SecureBootKey"/>, the one the firmware's db trusts.</summary>
    public string? SecureBootCertificate { get; init; }

    /// <summary>
    /// The UKI's inputs (build-image's `--uki-*`): the UKI is assembled with the image's verity root hashes
    /// on its command line, signed with <see cref="SecureBootKey"/> when given, and installed as the
    /// version's boot entry payload; null: the boot entry comes from <see cref="PayloadsDirectory"/>.
    /// </summary>
    public UkiBuildOptions? Uki { get; init; }
}
