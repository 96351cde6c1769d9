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
/// nothing.
/// </remarks>
public static class RepartDefinitions
{
    public const string Section = "Partition";

    private static readonly IReadOnlyCollection<string> Sections = [Section];

    /// <summary>repart keys with no effect on an empty image this tool builds, mapped to the values that ask for nothing.</summary>
    private static readonly Dictionary<string, string[]> UnsupportedKeys = new(StringComparer.Ordinal)
    {
        ["FactoryReset"] = ["no", "false", "0", "off", "n", "f"],
        ["CopyBlocks"] = [],
        ["CopyFiles"] = [],
        ["MakeDirectories"] = [],
        ["Encrypt"] = ["off", "no", "false", "0", "n", "f"],
        ["Verity"] = ["off"],
        ["VerityMatchKey"] = [],
        ["SplitName"] = [],
    };

    /// <summary>Loads every definition in <paramref name="directory"/>; warnings go to <paramref name="logger"/>.</summary>
    public static RepartLayout Load(string directory, ILogger? logger = null)
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
            partitions.Add(Parse(file.Path, assignments, logger));
        }

        return new RepartLayout(directory, partitions.MoveToImmutable());
    }

    /// <summary>Parses one file's contents; <paramref name="file"/> is the name messages use.</summary>
    public static RepartPartition Parse(string file, ReadOnlySpan<byte> content, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        logger ??= NullLogger.Instance;
        var assignments = UnitFileReader.Parse(content, file, Sections, w => logger.LogWarning("{Warning}", w.ToString()));
        return Parse(file, assignments, logger);
    }

    private static RepartPartition Parse(string file, IReadOnlyList<UnitFileAssignment> assignments, ILogger logger)
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
                    partition = partition with { Label = ParseLabel(a) };
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

        return partition with { Type = type.Value };
    }

    private static ConfigurationException Invalid(UnitFileAssignment a, string why) =>
        new(a.File, a.Line, a.Key, $"'{UntrustedText.Escape(a.Value)}' {why}.");

    /// <summary>
    /// Label=: any UTF-8 text that fits GPT's 36 UTF-16 code units; empty is a valid label (repart
    /// keeps it rather than resetting). repart expands system specifiers (%m, %H, %a, ...) first; an
    /// image built in CI must not carry the build host's identity, so only "%%" is accepted.
    /// </summary>
    private static string ParseLabel(UnitFileAssignment a)
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
        _ => throw Invalid(a, "is not a file system image-update can create (only vfat, or empty for none)"),
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
