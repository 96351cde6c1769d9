using ImageUpdate.Formats.Gpt;
using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Model.Definitions;

// The value parsers of the key table: one per config_parse_* function of sysupdate-transfer.c, each
// warning and ignoring what systemd warns about and ignores (see the class's remarks).
internal sealed partial class TransferReader
{
    private void Warn(UnitFileAssignment a, string message, WarningKind kind = WarningKind.InvalidValue) => _diagnostics.Warn(a.File, a.Line, a.Key, message, kind);

    private static ConfigurationException Error(UnitFileAssignment a, string message) => new(a.File, a.Line, a.Key, message);

    private static string Quote(string value) => $"'{UntrustedText.Escape(value)}'";

    private bool Expand(UnitFileAssignment a, string text, int maxBytes, out string result)
    {
        if (Specifiers.TryExpand(text, maxBytes, _specifiers, out result, out var reason))
        {
            return true;
        }

        Warn(a, $"Failed to expand specifiers in {Quote(text)} ({reason}), ignoring.");
        return false;
    }

    // config_parse_version_bound: empty resets; specifiers (NAME_MAX); must be a valid version.
    private void ParseVersionBound(UnitFileAssignment a, ref string? bound)
    {
        if (a.Value.Length == 0)
        {
            bound = null;
            return;
        }

        if (!Expand(a, a.Value, ConfigValues.NameMax, out var resolved))
        {
            return;
        }

        if (!VersionComparer.IsValid(resolved))
        {
            Warn(a, $"{Quote(resolved)} is not a valid version, ignoring.");
            return;
        }

        bound = resolved;
    }

    // config_parse_protect_version: one version per assignment (no word splitting), empty resets.
    private void ParseProtectVersion(UnitFileAssignment a)
    {
        if (a.Value.Length == 0)
        {
            _protectVersions.Clear();
            _unresolvedProtectVersion = null;
            return;
        }

        if (!Expand(a, a.Value, ConfigValues.NameMax, out var resolved))
        {
            return;
        }

        if (resolved.Length == 0 && a.Value.Contains('%', StringComparison.Ordinal))
        {
            // %A/%B on a host whose os-release has no IMAGE_VERSION= (an image build, a container):
            // there is simply no booted version to protect, as sysupdate concludes too. Recorded
            // quietly: only a verb that deletes is affected, and it says so once (systemd 262 warns
            // once per transfer on every verb, which buries the one place it matters).
            _diagnostics.Record(new ConfigurationWarning(
                a.File, a.Line, a.Key, $"{Quote(a.Value)} expands to nothing here (no IMAGE_VERSION= in os-release), nothing to protect.", WarningKind.Adjusted));
            _unresolvedProtectVersion ??= a.Value;
            return;
        }

        if (!VersionComparer.IsValid(resolved))
        {
            Warn(a, $"{Quote(resolved)} is not a valid version, ignoring.");
            return;
        }

        _protectVersions.Add(resolved);
    }

    // config_parse_tristate: empty means unset.
    private void ParseTristate(UnitFileAssignment a, ref bool? value)
    {
        if (a.Value.Length == 0)
        {
            value = null;
            return;
        }

        if (!SystemdBoolean.TryParse(a.Value, out var parsed))
        {
            Warn(a, $"Failed to parse boolean value {Quote(a.Value)}, ignoring.");
            return;
        }

        value = parsed;
    }

    // config_parse_url_specifiers_many: one URL per assignment, http(s) only, empty resets. The URLs
    // only describe the update, so a bad one is dropped as systemd drops it, never an error.
    private void ParseUrls(UnitFileAssignment a, List<string> urls)
    {
        if (a.Value.Length == 0)
        {
            urls.Clear();
            return;
        }

        if (InformationalUrl(a, _specifiers, _diagnostics) is { } url)
        {
            urls.Add(url);
        }
    }

    /// <summary>
    /// config_parse_url_specifiers for a key that only describes (ChangeLog=, AppStream=,
    /// Documentation=): the expanded http(s) URL, or null after a warning in systemd 262's words.
    /// </summary>
    internal static string? InformationalUrl(UnitFileAssignment a, SpecifierContext specifiers, DefinitionDiagnostics diagnostics)
    {
        if (!Specifiers.TryExpand(a.Value, int.MaxValue, specifiers, out var resolved, out _))
        {
            diagnostics.Warn(a.File, a.Line, a.Key, $"Failed to expand specifiers in {a.Key}=, ignoring: {UntrustedText.Escape(a.Value)}", WarningKind.Informational);
            return null;
        }

        if (!ConfigValues.IsHttpUrl(resolved))
        {
            diagnostics.Warn(a.File, a.Line, a.Key, $"{a.Key}= URL is not valid, ignoring: {UntrustedText.Escape(a.Value)}", WarningKind.Informational);
            return null;
        }

        return resolved;
    }

    // config_parse_strv: whitespace-separated, quotes removed, backslashes kept; empty resets.
    private void ParseStrv(UnitFileAssignment a, List<string> list)
    {
        if (a.Value.Length == 0)
        {
            list.Clear();
            return;
        }

        var complete = WordSplitter.TrySplitUnquoted(a.Value, out var words);
        list.AddRange(words);
        if (!complete)
        {
            Warn(a, $"Invalid syntax in {Quote(a.Value)}, ignoring the rest.");
        }
    }

    private static readonly Dictionary<string, ResourceType> TypeNames = new(StringComparer.Ordinal)
    {
        ["url-file"] = ResourceType.UrlFile,
        ["url-tar"] = ResourceType.UrlTar,
        ["tar"] = ResourceType.Tar,
        ["regular-file"] = ResourceType.RegularFile,
        ["directory"] = ResourceType.Directory,
        ["subvolume"] = ResourceType.Subvolume,
        ["partition"] = ResourceType.Partition,
    };

    /// <summary>systemd's name of a resource type (resource_type_to_string).</summary>
    public static string NameOf(ResourceType type) => TypeNames.First(p => p.Value == type).Key;

    // DEFINE_CONFIG_PARSE_ENUM: an unknown (or empty) value is logged and ignored.
    private void ParseType(UnitFileAssignment a, Resource resource)
    {
        if (!TypeNames.TryGetValue(a.Value, out var type))
        {
            Warn(a, $"Failed to parse resource type {Quote(a.Value)}, ignoring.");
            return;
        }

        resource.Type = type;
    }

    // config_parse_resource_path: specifiers (PATH_MAX-1); "auto" after expansion selects discovery.
    // Validation waits for finalize, when the type says whether this is a URL or a path.
    private void ParsePath(UnitFileAssignment a, Resource resource)
    {
        if (!Expand(a, a.Value, ConfigValues.PathMax - 1, out var resolved))
        {
            return;
        }

        resource.PathAuto = resolved == TargetDefinition.AutoPath;
        resource.Path = resource.PathAuto ? null : resolved;
    }

    // DEFINE_CONFIG_PARSE_ENUM_WITH_DEFAULT: empty means root.
    private void ParsePathRelativeTo(UnitFileAssignment a, Resource resource)
    {
        PathRelativeTo? value = a.Value switch
        {
            "" or "root" => PathRelativeTo.Root,
            "esp" => PathRelativeTo.Esp,
            "xbootldr" => PathRelativeTo.Xbootldr,
            "boot" => PathRelativeTo.Boot,
            "explicit" => PathRelativeTo.Explicit,
            _ => null,
        };
        if (value is null)
        {
            Warn(a, $"Failed to parse PathRelativeTo= value {Quote(a.Value)}, ignoring.");
            return;
        }

        resource.RelativeTo = value.Value;
    }

    private void ParsePartitionType(UnitFileAssignment a) =>
        _target.PartitionType = ParseResettable<Guid>(a, _target.PartitionType, PartitionType.TryParse, "partition type");

    private void ParsePartitionUuid(UnitFileAssignment a) =>
        _partitionUuid = ParseResettable<Guid>(a, _partitionUuid, PartitionType.TryParseId128, "partition UUID");

    // safe_atoux64: hexadecimal, with or without 0x.
    private void ParsePartitionFlags(UnitFileAssignment a) =>
        _partitionFlags = ParseResettable<ulong>(a, _partitionFlags, ConfigValues.TryParseHexUInt64, "partition flags");

    private delegate bool ValueParser<T>(string text, out T value);

    /// <summary>An empty value resets the key; an unparsable one is warned about and leaves it as it was.</summary>
    private T? ParseResettable<T>(UnitFileAssignment a, T? current, ValueParser<T> parse, string what)
        where T : struct
    {
        if (a.Value.Length == 0)
        {
            return null;
        }

        if (!parse(a.Value, out var value))
        {
            Warn(a, $"Failed to parse {what} {Quote(a.Value)}, ignoring.");
            return current;
        }

        return value;
    }

    // config_parse_mode: octal, at most 07777; an empty value is not special.
    private void ParseMode(UnitFileAssignment a)
    {
        if (!ConfigValues.TryParseMode(a.Value, out var mode))
        {
            Warn(a, $"Failed to parse mode {Quote(a.Value)}, ignoring.");
            return;
        }

        _mode = mode;
    }

    // config_parse_uint64: an empty value is not special.
    private void ParseUInt64(UnitFileAssignment a, ref ulong? value)
    {
        if (!ConfigValues.TryParseUInt64(a.Value, out var parsed))
        {
            Warn(a, $"Failed to parse unsigned integer {Quote(a.Value)}, ignoring.");
            return;
        }

        value = parsed;
    }

    // config_parse_instances_max: empty restores the default; 1 is bumped to 2; 0 means the default.
    private void ParseInstancesMax(UnitFileAssignment a)
    {
        if (a.Value.Length == 0)
        {
            _instancesMax = 0;
            return;
        }

        if (!ConfigValues.TryParseUInt64(a.Value, out var value))
        {
            Warn(a, $"Failed to parse InstancesMax= value {Quote(a.Value)}, ignoring.");
            return;
        }

        if (value == 1)
        {
            Warn(a, "InstancesMax= must be at least 2, bumping 1 to 2.", WarningKind.Adjusted);
            value = 2;
        }

        _instancesMax = value;
    }

    // config_parse_current_symlink: specifiers, then path_simplify_and_warn (a valid path, simplified).
    private void ParseCurrentSymlink(UnitFileAssignment a)
    {
        if (a.Value.Length == 0)
        {
            _currentSymlink = null;
            return;
        }

        if (!Expand(a, a.Value, ConfigValues.PathMax - 1, out var resolved))
        {
            return;
        }

        if (!ConfigValues.PathIsValid(resolved))
        {
            Warn(a, $"{Quote(resolved)} is not a valid path, ignoring.");
            return;
        }

        _currentSymlink = ConfigValues.SimplifyPath(resolved);
    }

    // config_parse_resource_pattern: words (C-unescaped), each specifier-expanded (NAME_MAX) and
    // validated; an invalid pattern fails the file; empty resets; duplicates are dropped.
    private void ParsePatterns(UnitFileAssignment a, Resource resource)
    {
        if (a.Value.Length == 0)
        {
            resource.Patterns.Clear();
            return;
        }

        IReadOnlyList<string> words;
        try
        {
            words = PatternWords.Split(a.Value);
        }
        catch (PatternException e)
        {
            // systemd keeps an unknown escape verbatim and then refuses the pattern for its backslash.
            throw Error(a, e.Message);
        }

        foreach (var word in words)
        {
            if (!Expand(a, word, ConfigValues.NameMax, out var resolved))
            {
                return;
            }

            AddPattern(a, resource, resolved);
        }

        var unique = resource.Patterns.DistinctBy(p => p.Text, StringComparer.Ordinal).ToList();
        resource.Patterns.Clear();
        resource.Patterns.AddRange(unique);
    }

    /// <summary>The '**/' prefix of a source pattern: match the rest against the base name at any depth.</summary>
    internal const string GlobDirectoryPrefix = MatchPattern.AnyDepthPrefix;

    // resource_add_pattern: the '**/' prefix only on sources, and only before a plain file name.
    private static void AddPattern(UnitFileAssignment a, Resource resource, string text)
    {
        if (text.StartsWith(GlobDirectoryPrefix, StringComparison.Ordinal))
        {
            if (!resource.IsSource)
            {
                throw Error(a, $"The '**/' prefix is only supported in a source MatchPattern=, refusing {Quote(text)}.");
            }

            if (!ConfigValues.FileNameIsValid(text[GlobDirectoryPrefix.Length..]))
            {
                throw Error(a, $"The pattern after a '**/' prefix must be a valid file name, refusing {Quote(text)}.");
            }
        }

        try
        {
            resource.Patterns.Add(MatchPattern.Parse(text));
        }
        catch (PatternException e)
        {
            throw Error(a, e.Message);
        }
    }
}
