namespace ImageUpdate.Update.Imaging;

/// <summary>What <see cref="DiskImageBuilder"/> puts on the disk besides the partition table.</summary>
public sealed record DiskImageOptions
{
    /// <summary>Where Debian's systemd-boot-efi package puts the x86-64 boot loader.</summary>
    public const string DefaultSystemdBootPath = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi";

    /// <summary>
    /// loader.conf(5): boot the default entry at once (a product image has no one at the menu; the
    /// menu still shows while a key is held) and refuse kernel command line edits at the menu.
    /// </summary>
    public const string DefaultLoaderConf = "timeout 0\neditor no\n";

    /// <summary>The earliest time FAT can store (1980-01-01 00:00:00), used when no SOURCE_DATE_EPOCH is given.</summary>
    public static readonly DateTimeOffset FatEpoch = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// The time every file and directory created in the ESP carries (reproducible-builds.org's
    /// SOURCE_DATE_EPOCH, which the caller reads from its environment); null: <see cref="FatEpoch"/>.
    /// Stored as UTC: FAT keeps local time, and the tools are run with TZ=UTC.
    /// </summary>
    public DateTimeOffset? SourceDateEpoch { get; init; }

    /// <summary>Install systemd-boot into the first ESP with Format=vfat (EFI/BOOT/BOOTX64.EFI, EFI/systemd/, loader/loader.conf, EFI/Linux/).</summary>
    public bool InstallSystemdBoot { get; init; } = true;

    public string SystemdBootPath { get; init; } = DefaultSystemdBootPath;

    /// <summary>
    /// The PEM key and certificate systemd-boot is signed with for UEFI Secure Boot (Authenticode, by
    /// sbsign from sbsigntool) before it goes into the ESP; null: installed as it is.
    /// </summary>
    public (string Key, string Certificate)? SecureBootSigner { get; init; }

    /// <summary>The content of loader/loader.conf.</summary>
    public string LoaderConf { get; init; } = DefaultLoaderConf;

    /// <summary>
    /// Parses a SOURCE_DATE_EPOCH value with <see cref="Publishing.SourceDateEpoch.TryParse"/>; null or
    /// empty gives null. Times before <see cref="FatEpoch"/> cannot be stored in FAT and are refused.
    /// </summary>
    public static DateTimeOffset? ParseSourceDateEpoch(string? value) =>
        Publishing.SourceDateEpoch.TryParse(value, out var time) && !(time < FatEpoch) ? time
        : throw new DiskImageException(
            $"SOURCE_DATE_EPOCH '{Foundation.Errors.UntrustedText.Escape(value!)}' is not a number of seconds since 1970 from 1980 on, which FAT timestamps need.");
}
