using System.Collections.Immutable;
using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImageUpdate.Update.Imaging;

/// <summary>
/// Reads a repart.d directory (repart.d(5), systemd 252): every *.conf file in it, sorted by file name
/// (repart's conf_files_list; hidden files, non-regular entries, empty files and symlinks to /dev/null
/// are skipped), each a unit-style file with one [Partition] section. Drop-in directories and the
/// /etc, /run, /usr/lib search path are not used: an image's layout is one directory.
/// </summary>
/// <remarks>
/// Deliberately stricter than repart, which logs and ignores a bad Weight=, Flags=, Label=, UUID= or
/// boolean: a build tool that silently drops a setting produces a different image than the one asked
/// for, so every value that cannot be used is a <see cref="ConfigurationException"/> naming file:line.
/// Unknown keys are logged and ignored, as repart does, so newer files stay loadable. Keys repart knows
/// but this tool cannot honour (CopyFiles=, Encrypt=, Verity=, ...) are errors unless they ask for
/// nothing. The Verity=, CopyFiles=, Format=erofs/squashfs keys systemd-repart 262 reads for dm-verity images are
/// taken as 262 reads them; <see cref="Load"/> then checks each VerityMatchKey= triple as a whole.
/// </remarks>
public static class RepartDefinitions
{
    public const string Section = "Partition";

    private static readonly IReadOnlyCollection<string> Sections = [Section];

    /// <summary>repart keys with no effect on an empty image this tool builds, mapped to the values that ask for nothing.</summary>
    private static readonly Dictionary<string, string[]> UnsupportedKeys = new(StringComparer.Ordinal)
    {
        ["FactoryReset"] = ["no", "false", "0", "off", "n", "f"],
        ["MakeDirectories"] = [],
        ["Encrypt"] = ["off", "no", "false", "0", "n", "f"],
    };

    private static readonly string[] ErofsCompressors = ["lz4", "lz4hc", "lzma", "deflate", "libdeflate", "zstd"];

    private static readonly string[] SquashfsCompressors = ["gzip", "lzo", "lz4", "xz", "zstd", "lzma"];

    /// <summary>
    /// Loads every definition in <paramref name="directory"/>; warnings go to <paramref name="logger"/>.
    /// <paramref name="imageVersion"/> is what "%A" in Label= expands to (repart: IMAGE_VERSION=); without
    /// it "%A" is refused.
    /// </summary>
    public static RepartLayout Load(string directory, ILogger? logger = null, string? imageVersion = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        logger ??= NullLogger.Instance;
        if (!Directory.Exists(directory))
        {
            throw new ConfigurationException($"The repart.d directory '{UntrustedText.Escape(directory)}' does not exist.");
        }

        var files = ConfFiles.List([directory], ".conf", "/").Where(f => !f.Masked).ToList();
        if (files.Count == 0)
        {
            throw new ConfigurationException($"The repart.d directory '{UntrustedText.Escape(directory)}' holds no *.conf partition definitions.");
        }

        var partitions = ImmutableArray.CreateBuilder<RepartPartition>(files.Count);
        foreach (var file in files)
        {
            var assignments = UnitFileReader.Read(file.ReadPath, file.Path, Sections, w => logger.LogWarning("{Warning}", w.ToString()));
            partitions.Add(Parse(file.Path, assignments, logger, imageVersion));
        }

        var layout = new RepartLayout(directory, partitions.MoveToImmutable());
        CheckVerityTriples(layout);
        return layout;
    }

    /// <summary>Parses one file's contents; <paramref name="file"/> is the name messages use.</summary>
    public static RepartPartition Parse(string file, ReadOnlySpan<byte> content, ILogger? logger = null, string? imageVersion = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        logger ??= NullLogger.Instance;
        var assignments = UnitFileReader.Parse(content, file, Sections, w => logger.LogWarning("{Warning}", w.ToString()));
        return Parse(file, assignments, logger, imageVersion);
    }

    private static RepartPartition Parse(string file, IReadOnlyList<UnitFileAssignment> assignments, ILogger logger, string? imageVersion)
    {
        Guid? type = null;
        var partition = new RepartPartition { File = file, Type = Guid.Empty };
        foreach (var a in assignments)
        {
            var value = a.Value;
            switch (a.Key)
            {
                case "Type":
                    type = PartitionType.TryParse(value, out var parsedType) && parsedType != Guid.Empty
                        ? parsedType
                        : throw Invalid(a, "is not a known partition type name nor a UUID");
                    break;
                case "Label":
                    partition = partition with { Label = ParseLabel(a, imageVersion) };
                    break;
                case "UUID":
                    partition = partition with { Uuid = ParseUuid(a) };
                    break;
                case "Priority":
                    partition = partition with { Priority = value.Length == 0 ? 0 : ParseInt32(a) };
                    break;
                case "Weight":
                    partition = partition with { Weight = value.Length == 0 ? RepartPartition.DefaultWeight : ParseWeight(a) };
                    break;
                case "PaddingWeight":
                    partition = partition with { PaddingWeight = value.Length == 0 ? 0 : ParseWeight(a) };
                    break;
                case "SizeMinBytes":
                    partition = partition with { SizeMinBytes = ParseSize4096(a, roundUp: false, logger) };
                    break;
                case "SizeMaxBytes":
                    partition = partition with { SizeMaxBytes = ParseSize4096(a, roundUp: true, logger) };
                    break;
                case "PaddingMinBytes":
                    partition = partition with { PaddingMinBytes = ParseSize4096(a, roundUp: false, logger) };
                    break;
                case "PaddingMaxBytes":
                    partition = partition with { PaddingMaxBytes = ParseSize4096(a, roundUp: true, logger) };
                    break;
                case "Format":
                    partition = partition with { Format = ParseFormat(a) };
                    break;
                case "Flags":
                    partition = partition with
                    {
                        Flags = value.Length == 0 ? 0
                            : ConfigValues.TryParseUInt64(value, out var flags) ? flags
                            : throw Invalid(a, "is not an unsigned 64-bit number"),
                    };
                    break;
                case "ReadOnly":
                    partition = partition with { ReadOnly = ParseTristate(a) };
                    break;
                case "NoAuto":
                    partition = partition with { NoAuto = ParseTristate(a) };
                    break;
                case "GrowFileSystem":
                    partition = partition with { GrowFileSystem = ParseTristate(a) };
                    break;
                case "CopyFiles":
                    partition = partition with { CopyFiles = value.Length == 0 ? [] : partition.CopyFiles.Add(ParseCopyFiles(a)) };
                    break;
                case "CopyBlocks":
                    partition = partition with { CopyBlocks = ParseCopyBlocks(a) };
                    break;
                case "Minimize":
                    partition = partition with { Minimize = ParseMinimize(a) };
                    break;
                case "Verity":
                    partition = partition with { Verity = ParseVerity(a), VerityLine = a.Line };
                    break;
                case "VerityMatchKey":
                    partition = partition with { VerityMatchKey = ParseMatchKey(a) };
                    break;
                case "VerityDataBlockSizeBytes":
                    partition = partition with { VerityDataBlockSize = ParseVerityBlockSize(a) };
                    break;
                case "VerityHashBlockSizeBytes":
                    partition = partition with { VerityHashBlockSize = ParseVerityBlockSize(a) };
                    break;
                case "SplitName":
                    partition = partition with { SplitName = ParseSplitName(a) };
                    break;
                case "Compression":
                    partition = partition with { Compression = value.Length == 0 ? null : ParseCompression(a) };
                    break;
                case "CompressionLevel":
                    partition = partition with
                    {
                        CompressionLevel = value.Length == 0 ? null
                            : ConfigValues.TryParseUInt64(value, out var level) && level <= 100 ? (int)level
                            : throw Invalid(a, "is not a compression level from 0 to 100"),
                    };
                    break;
                default:
                    if (UnsupportedKeys.TryGetValue(a.Key, out var harmless))
                    {
                        if (value.Length != 0 && !harmless.Contains(value.ToLowerInvariant()))
                        {
                            throw new ConfigurationException(a.File, a.Line, a.Key,
                                $"'{UntrustedText.Escape(value)}' is not supported by image-update, which builds empty partitions only.");
                        }
                    }
                    else
                    {
                        logger.LogWarning("{Warning}", new ConfigurationWarning(a.File, a.Line, a.Key,
                            $"Unknown key '{UntrustedText.Escape(a.Key)}' in section [{a.Section}], ignoring.", WarningKind.UnknownName).ToString());
                    }

                    break;
            }
        }

        // repart's partition_read_definition checks, reported against the file as repart does.
        if (type is null)
        {
            throw new ConfigurationException(file, 0, null, "Type= is not set, so the partition has no type.");
        }

        if (partition.SizeMinBytes > partition.SizeMaxBytes)
        {
            throw new ConfigurationException(file, 0, null,
                $"SizeMinBytes= ({partition.SizeMinBytes}) is larger than SizeMaxBytes= ({partition.SizeMaxBytes}).");
        }

        if (partition.PaddingMinBytes > partition.PaddingMaxBytes)
        {
            throw new ConfigurationException(file, 0, null,
                $"PaddingMinBytes= ({partition.PaddingMinBytes}) is larger than PaddingMaxBytes= ({partition.PaddingMaxBytes}).");
        }

        partition = partition with { Type = type.Value };
        CheckContent(partition, assignments);
        return partition;
    }

    /// <summary>What a partition's content keys ask must be something this tool (and repart) can make; reported at the key's line.</summary>
    private static void CheckContent(RepartPartition p, IReadOnlyList<UnitFileAssignment> assignments)
    {
        ConfigurationException At(string key, string message)
        {
            var line = assignments.LastOrDefault(a => a.Key == key)?.Line ?? 0;
            return new ConfigurationException(p.File, line, key, message);
        }

        var readOnlyFileSystem = p.Format is RepartFormat.Erofs or RepartFormat.Squashfs;
        if (!p.CopyFiles.IsEmpty && !readOnlyFileSystem)
        {
            throw At("CopyFiles", "image-update copies files into Format=erofs or Format=squashfs partitions only.");
        }

        if (readOnlyFileSystem && p.CopyFiles.IsEmpty)
        {
            throw At("Format", $"a read-only {FormatName(p.Format)} file system needs CopyFiles= to have something in it.");
        }

        if (p.CopyBlocks is not null && (p.Format != RepartFormat.None || !p.CopyFiles.IsEmpty))
        {
            throw At("CopyBlocks", "cannot be combined with Format= or CopyFiles=: the blocks are the partition's content.");
        }

        if (p.Compression is not null)
        {
            var known = p.Format switch
            {
                RepartFormat.Erofs => ErofsCompressors,
                RepartFormat.Squashfs => SquashfsCompressors,
                _ => throw At("Compression", "applies to Format=erofs and Format=squashfs only."),
            };
            if (!known.Contains(p.Compression, StringComparer.Ordinal))
            {
                throw At("Compression", $"'{UntrustedText.Escape(p.Compression)}' is not a compressor for {FormatName(p.Format)} ({string.Join(", ", known)}).");
            }
        }

        if (p.CompressionLevel is not null && p.Compression is null)
        {
            throw At("CompressionLevel", "needs Compression= to say which compressor it is for.");
        }

        if (p.Minimize != RepartMinimize.Off && !readOnlyFileSystem && p.CopyBlocks is null && p.Verity != RepartVerityRole.Hash)
        {
            throw At("Minimize", "applies to Format=erofs/squashfs, CopyBlocks= and Verity=hash partitions here (image-update does not shrink writable file systems).");
        }

        if (p.Verity != RepartVerityRole.Off && p.VerityMatchKey is null)
        {
            throw At("Verity", $"Verity={VerityName(p.Verity)} needs VerityMatchKey= to find the other partitions of its triple.");
        }

        if (p.Verity is RepartVerityRole.Hash or RepartVerityRole.Signature && (p.Format != RepartFormat.None || !p.CopyFiles.IsEmpty || p.CopyBlocks is not null))
        {
            throw At("Verity", $"a Verity={VerityName(p.Verity)} partition is written by image-update itself and takes no Format=, CopyFiles= or CopyBlocks=.");
        }

        if ((p.VerityDataBlockSize ?? p.VerityHashBlockSize) is not null && p.Verity != RepartVerityRole.Hash)
        {
            throw At(p.VerityDataBlockSize is not null ? "VerityDataBlockSizeBytes" : "VerityHashBlockSizeBytes", "applies to the Verity=hash partition only.");
        }
    }

    /// <summary>
    /// Every VerityMatchKey= names one data partition, at most one hash and at most one signature
    /// partition; a hash needs its data, a signature its hash (repart's context_verify_verity checks).
    /// </summary>
    private static void CheckVerityTriples(RepartLayout layout)
    {
        foreach (var group in layout.Partitions.Where(p => p.Verity != RepartVerityRole.Off).GroupBy(p => p.VerityMatchKey!, StringComparer.Ordinal))
        {
            foreach (var role in new[] { RepartVerityRole.Data, RepartVerityRole.Hash, RepartVerityRole.Signature })
            {
                var members = group.Where(p => p.Verity == role).ToList();
                if (members.Count > 1)
                {
                    throw new ConfigurationException(members[1].File, members[1].VerityLine, "Verity",
                        $"a second Verity={VerityName(role)} partition for VerityMatchKey={UntrustedText.Escape(group.Key)} (the first is {UntrustedText.Escape(members[0].File)}).");
                }
            }

            var hash = group.FirstOrDefault(p => p.Verity == RepartVerityRole.Hash);
            var signature = group.FirstOrDefault(p => p.Verity == RepartVerityRole.Signature);
            if (hash is not null && !group.Any(p => p.Verity == RepartVerityRole.Data))
            {
                throw new ConfigurationException(hash.File, hash.VerityLine, "Verity",
                    $"no Verity=data partition has VerityMatchKey={UntrustedText.Escape(group.Key)}, so there is nothing to hash.");
            }

            if (signature is not null && hash is null)
            {
                throw new ConfigurationException(signature.File, signature.VerityLine, "Verity",
                    $"no Verity=hash partition has VerityMatchKey={UntrustedText.Escape(group.Key)}, so there is no root hash to sign.");
            }
        }
    }

    private static string FormatName(RepartFormat format) => format.ToString().ToLowerInvariant();

    private static string VerityName(RepartVerityRole role) => role.ToString().ToLowerInvariant();

    /// <summary>CopyFiles=SOURCE[:TARGET]: both absolute and normalized (no "." or ".." components); TARGET defaults to SOURCE.</summary>
    private static RepartCopyFiles ParseCopyFiles(UnitFileAssignment a)
    {
        var parts = a.Value.Split(':');
        if (parts.Length > 2)
        {
            throw Invalid(a, "is not SOURCE[:TARGET] (image-update takes no copy options)");
        }

        var source = parts[0];
        var target = parts.Length == 2 ? parts[1] : source;
        return IsAbsoluteNormalized(source) && IsAbsoluteNormalized(target)
            ? new RepartCopyFiles(source, target)
            : throw Invalid(a, "is not SOURCE[:TARGET] with two absolute paths without '.' or '..' components");
    }

    private static string? ParseCopyBlocks(UnitFileAssignment a)
    {
        if (a.Value.Length == 0)
        {
            return null;
        }

        return a.Value == "auto" ? throw Invalid(a, "would copy from the running system, which an image build must not do")
            : IsAbsoluteNormalized(a.Value) ? a.Value
            : throw Invalid(a, "is not an absolute path");
    }

    private static bool IsAbsoluteNormalized(string path) =>
        path.Length > 0 && path[0] == '/' && !path.Contains('\0', StringComparison.Ordinal)
        && path.Split('/').Skip(1).All(c => c is not ("." or ".."));

    private static RepartMinimize ParseMinimize(UnitFileAssignment a) => a.Value switch
    {
        "" or "off" => RepartMinimize.Off,
        "best" => RepartMinimize.Best,
        "guess" => RepartMinimize.Guess,
        _ => SystemdBoolean.TryParse(a.Value, out var on) ? (on ? RepartMinimize.Best : RepartMinimize.Off)
            : throw Invalid(a, "is not off, best, guess or a boolean"),
    };

    private static RepartVerityRole ParseVerity(UnitFileAssignment a) => a.Value switch
    {
        "" or "off" => RepartVerityRole.Off,
        "data" => RepartVerityRole.Data,
        "hash" => RepartVerityRole.Hash,
        "signature" => RepartVerityRole.Signature,
        _ => throw Invalid(a, "is not off, data, hash or signature"),
    };

    /// <summary>VerityMatchKey=: a short name of printable ASCII without '/' (repart takes it as a file-name-like word).</summary>
    private static string? ParseMatchKey(UnitFileAssignment a) =>
        a.Value.Length == 0 ? null
        : a.Value.Length <= 255 && a.Value.All(c => c is > ' ' and < (char)0x7F and not '/') ? a.Value
        : throw Invalid(a, "is not a word of printable ASCII without '/'");

    private static int? ParseVerityBlockSize(UnitFileAssignment a)
    {
        if (a.Value.Length == 0)
        {
            return null;
        }

        return RepartSize.TryParse(a.Value, out var size) && size is >= 512 and <= 4096 && ulong.IsPow2(size)
            ? (int)size
            : throw Invalid(a, "is not a verity block size (a power of two from 512 to 4096)");
    }

    /// <summary>SplitName=: "-" for none, else a file name part; "%t" (type name), "%T" (type UUID) and "%%" are expanded when the name is made.</summary>
    private static string? ParseSplitName(UnitFileAssignment a)
    {
        if (a.Value.Length == 0)
        {
            return null;
        }

        var value = a.Value;
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && (i + 1 >= value.Length || value[i + 1] is not ('t' or 'T' or '%')))
            {
                throw Invalid(a, "uses a '%' specifier other than %t, %T and %%");
            }

            if (value[i] == '%')
            {
                i++;
            }
        }

        return value == "-" || (!value.Contains('/', StringComparison.Ordinal) && value is not ("." or "..") && value.All(c => c is > ' ' and < (char)0x7F))
            ? value
            : throw Invalid(a, "is not '-' nor a file name part of printable ASCII without '/'");
    }

    private static string ParseCompression(UnitFileAssignment a) =>
        a.Value.All(c => char.IsAsciiLetterOrDigit(c)) ? a.Value : throw Invalid(a, "is not a compressor name");

    private static ConfigurationException Invalid(UnitFileAssignment a, string why) =>
        new(a.File, a.Line, a.Key, $"'{UntrustedText.Escape(a.Value)}' {why}.");

    /// <summary>
    /// Label=: any UTF-8 text that fits GPT's 36 UTF-16 code units; empty is a valid label (repart
    /// keeps it rather than resetting). repart expands system specifiers (%m, %H, %a, ...) first; an
    /// image built in CI must not carry the build host's identity, so only "%%" and "%A" (the image
    /// version being built, what repart takes from IMAGE_VERSION=) are accepted.
    /// </summary>
    private static string ParseLabel(UnitFileAssignment a, string? imageVersion)
    {
        var value = a.Value;
        var label = new System.Text.StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                label.Append(value[i]);
            }
            else if (i + 1 < value.Length && value[i + 1] == '%')
            {
                label.Append('%');
                i++;
            }
            else if (i + 1 < value.Length && value[i + 1] == 'A' && imageVersion is not null)
            {
                label.Append(imageVersion);
                i++;
            }
            else
            {
                throw Invalid(a, "uses a '%' specifier, which image-update does not expand (write '%%' for '%')");
            }
        }

        var text = label.ToString();
        return PartitionEntry.IsValidLabel(text)
            ? text
            : throw Invalid(a, $"is longer than the {PartitionEntry.MaxNameLength} UTF-16 code units a GPT partition name holds");
    }

    private static Guid? ParseUuid(UnitFileAssignment a)
    {
        if (a.Value.Length == 0)
        {
            return null;
        }

        if (a.Value == "null")
        {
            throw Invalid(a, "would leave the partition without a unique GUID, which image-update does not support");
        }

        return PartitionType.TryParseId128(a.Value, out var uuid) && uuid != Guid.Empty
            ? uuid
            : throw Invalid(a, "is not a UUID");
    }

    /// <summary>safe_atoi32: optional sign, then a number in base 10, 0x hex, 0 octal, 0b/0o; nothing after it.</summary>
    private static int ParseInt32(UnitFileAssignment a)
    {
        var text = a.Value.AsSpan().TrimStart(" \t\n\r");
        var negative = text.Length > 0 && text[0] == '-';
        if (negative || (text.Length > 0 && text[0] == '+'))
        {
            text = text[1..];
            if (text.Length == 0 || !char.IsAsciiDigit(text[0]) || text.StartsWith("0b", StringComparison.OrdinalIgnoreCase) || text.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
            {
                throw Invalid(a, "is not a 32-bit integer");
            }
        }

        if (!ConfigValues.TryParseUInt64(text.ToString(), out var magnitude)
            || magnitude > (negative ? (ulong)int.MaxValue + 1 : int.MaxValue))
        {
            throw Invalid(a, "is not a 32-bit integer");
        }

        return negative ? (int)-(long)magnitude : (int)magnitude;
    }

    private static uint ParseWeight(UnitFileAssignment a) =>
        ConfigValues.TryParseUInt64(a.Value, out var weight) && weight <= RepartPartition.MaxWeight
            ? (uint)weight
            : throw Invalid(a, $"is not a weight from 0 to {RepartPartition.MaxWeight}");

    /// <summary>
    /// config_parse_size4096: parse_size with 1024-based suffixes, then rounded to a multiple of 4096:
    /// minimums down and maximums up, as Debian 12's systemd 252.39 does (systemd PR #29954, backported
    /// to 252-stable, reversed the 252.0 directions so that equal minimum and maximum stay equal; the
    /// man page still describes the old ones). The planner then rounds minimums up and maximums down to
    /// the grain. repart notes the rounding; so do we, at information level.
    /// </summary>
    private static ulong ParseSize4096(UnitFileAssignment a, bool roundUp, ILogger logger)
    {
        if (!RepartSize.TryParse(a.Value, out var parsed))
        {
            throw Invalid(a, "is not a size (a number of bytes with an optional K, M, G, T, P or E suffix, 1024-based)");
        }

        var rounded = roundUp ? RepartSize.RoundUp(parsed, RepartSize.Alignment) : RepartSize.RoundDown(parsed, RepartSize.Alignment);
        if (rounded != parsed)
        {
            logger.LogInformation("{File}:{Line}: rounded {Key}= size {Parsed} to {Rounded}, a multiple of 4096.", a.File, a.Line, a.Key, parsed, rounded);
        }

        return rounded;
    }

    private static RepartFormat ParseFormat(UnitFileAssignment a) => a.Value switch
    {
        "" => RepartFormat.None,
        "vfat" => RepartFormat.Vfat,
        "erofs" => RepartFormat.Erofs,
        "squashfs" => RepartFormat.Squashfs,
        _ => throw Invalid(a, "is not a file system image-update can create (vfat, erofs, squashfs, or empty for none)"),
    };

    private static bool? ParseTristate(UnitFileAssignment a)
    {
        if (a.Value.Length == 0)
        {
            return null;
        }

        return SystemdBoolean.TryParse(a.Value, out var value) ? value : throw Invalid(a, "is not a boolean");
    }
}
