using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// Reads one *.transfer file and its drop-ins into a <see cref="TransferDefinition"/>: the key table of
/// sysupdate-transfer.c transfer_read_definition, then transfer_finalize's defaults and consistency
/// checks, then the static checks transfer_resolve_paths makes right after reading.
/// </summary>
/// <remarks>
/// What systemd logs and ignores (an unparsable value, a failed specifier expansion, an unknown key)
/// goes to <see cref="DefinitionDiagnostics"/>; what fails the definition in systemd (an invalid
/// MatchPattern=, a broken section header, every finalize check) throws
/// <see cref="ConfigurationException"/> naming FILE:LINE: KEY.
/// </remarks>
internal sealed partial class TransferReader
{
    private static readonly string[] Sections = ["Transfer", "Source", "Target"];

    private readonly SpecifierContext _specifiers;
    private readonly DefinitionDiagnostics _diagnostics;
    private readonly string? _transferSource;
    private readonly Dictionary<(string Section, string Key), Action<UnitFileAssignment>> _table;
    private readonly Dictionary<(string Section, string Key), UnitFileAssignment> _last = [];

    private readonly Resource _source = new(isSource: true);
    private readonly Resource _target = new(isSource: false);
    private readonly List<string> _protectVersions = [];
    private readonly List<string> _changeLog = [];
    private readonly List<string> _appStream = [];
    private readonly List<string> _features = [];
    private readonly List<string> _requisiteFeatures = [];
    private string? _minVersion;
    private string? _maxVersion;
    private bool? _verify;
    private Guid? _partitionUuid;
    private ulong? _partitionFlags;
    private bool? _noAuto;
    private bool? _growFileSystem;
    private bool? _readOnly;
    private bool? _zeroFill;
    private uint? _mode;
    private ulong? _triesLeft;
    private ulong? _triesDone;
    private ulong _instancesMax;
    private bool? _removeTemporary;
    private string? _currentSymlink;
    private string? _unresolvedProtectVersion;

    private TransferReader(SpecifierContext specifiers, DefinitionDiagnostics diagnostics, string? transferSource)
    {
        _specifiers = specifiers;
        _diagnostics = diagnostics;
        _transferSource = transferSource;
        _table = new()
        {
            [("Transfer", "MinVersion")] = a => ParseVersionBound(a, ref _minVersion),
            [("Transfer", "MaxVersion")] = a => ParseVersionBound(a, ref _maxVersion),
            [("Transfer", "ProtectVersion")] = ParseProtectVersion,
            [("Transfer", "Verify")] = a => ParseTristate(a, ref _verify),
            [("Transfer", "ChangeLog")] = a => ParseUrls(a, _changeLog),
            [("Transfer", "AppStream")] = a => ParseUrls(a, _appStream),
            [("Transfer", "Features")] = a => ParseStrv(a, _features),
            [("Transfer", "RequisiteFeatures")] = a => ParseStrv(a, _requisiteFeatures),
            [("Source", "Type")] = a => ParseType(a, _source),
            [("Source", "Path")] = a => ParsePath(a, _source),
            [("Source", "PathRelativeTo")] = a => ParsePathRelativeTo(a, _source),
            [("Source", "MatchPattern")] = a => ParsePatterns(a, _source),
            [("Target", "Type")] = a => ParseType(a, _target),
            [("Target", "Path")] = a => ParsePath(a, _target),
            [("Target", "PathRelativeTo")] = a => ParsePathRelativeTo(a, _target),
            [("Target", "MatchPattern")] = a => ParsePatterns(a, _target),
            [("Target", "MatchPartitionType")] = ParsePartitionType,
            [("Target", "PartitionUUID")] = ParsePartitionUuid,
            [("Target", "PartitionFlags")] = ParsePartitionFlags,
            [("Target", "PartitionNoAuto")] = a => ParseTristate(a, ref _noAuto),
            [("Target", "PartitionGrowFileSystem")] = a => ParseTristate(a, ref _growFileSystem),
            [("Target", "ReadOnly")] = a => ParseTristate(a, ref _readOnly),
            [("Target", "PartitionZeroFill")] = a => ParseTristate(a, ref _zeroFill),
            [("Target", "Mode")] = ParseMode,
            [("Target", "TriesLeft")] = a => ParseUInt64(a, ref _triesLeft),
            [("Target", "TriesDone")] = a => ParseUInt64(a, ref _triesDone),
            [("Target", "InstancesMax")] = ParseInstancesMax,
            [("Target", "RemoveTemporary")] = a => ParseTristate(a, ref _removeTemporary),
            [("Target", "CurrentSymlink")] = ParseCurrentSymlink,
        };
    }

    /// <summary>Reads <paramref name="mainFile"/>, then <paramref name="dropIns"/> in order, and finalizes.</summary>
    public static TransferDefinition Read(
        string id, ConfFile mainFile, IReadOnlyList<ConfFile> dropIns, SpecifierContext specifiers,
        DefinitionDiagnostics diagnostics, string? transferSource)
    {
        var reader = new TransferReader(specifiers, diagnostics, transferSource);
        foreach (var file in dropIns.Prepend(mainFile))
        {
            foreach (var assignment in UnitFileReader.Read(file.ReadPath, file.Path, Sections, diagnostics.Warn))
            {
                reader.Apply(assignment);
            }
        }

        return reader.Finish(id, mainFile.Path);
    }

    private void Apply(UnitFileAssignment a)
    {
        if (_table.TryGetValue((a.Section, a.Key), out var parse))
        {
            _last[(a.Section, a.Key)] = a;
            parse(a);
        }
        else if (!a.Key.StartsWith("X-", StringComparison.Ordinal))
        {
            Warn(a, $"Unknown key in section [{a.Section}], ignoring.", WarningKind.UnknownName);
        }
    }

    /// <summary>One of [Source] or [Target] while it is being read.</summary>
    private sealed class Resource(bool isSource)
    {
        public bool IsSource { get; } = isSource;

        public string Section => IsSource ? "Source" : "Target";

        public ResourceType? Type { get; set; }

        public string? Path { get; set; }

        public bool PathAuto { get; set; }

        public PathRelativeTo RelativeTo { get; set; } = PathRelativeTo.Root;

        public List<MatchPattern> Patterns { get; } = [];

        public Guid? PartitionType { get; set; }
    }
}
