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

    /// <summary>
    /// Each key's parser, made once for every reader: a table of closures over the reader (a dictionary
    /// and 29 delegates), made again for each transfer, was most of a reader's set-up.
    /// </summary>
    private static readonly Dictionary<(string Section, string Key), Action<TransferReader, UnitFileAssignment>> Table = new()
    {
        [("Transfer", "MinVersion")] = (r, a) => r.ParseVersionBound(a, ref r._minVersion),
        [("Transfer", "MaxVersion")] = (r, a) => r.ParseVersionBound(a, ref r._maxVersion),
        [("Transfer", "ProtectVersion")] = (r, a) => r.ParseProtectVersion(a),
        [("Transfer", "Verify")] = (r, a) => r.ParseTristate(a, ref r._verify),
        [("Transfer", "ChangeLog")] = (r, a) => r.ParseUrls(a, r._changeLog),
        [("Transfer", "AppStream")] = (r, a) => r.ParseUrls(a, r._appStream),
        [("Transfer", "Features")] = (r, a) => r.ParseStrv(a, r._features),
        [("Transfer", "RequisiteFeatures")] = (r, a) => r.ParseStrv(a, r._requisiteFeatures),
        [("Source", "Type")] = (r, a) => r.ParseType(a, r._source),
        [("Source", "Path")] = (r, a) => r.ParsePath(a, r._source),
        [("Source", "PathRelativeTo")] = (r, a) => r.ParsePathRelativeTo(a, r._source),
        [("Source", "MatchPattern")] = (r, a) => r.ParsePatterns(a, r._source),
        [("Target", "Type")] = (r, a) => r.ParseType(a, r._target),
        [("Target", "Path")] = (r, a) => r.ParsePath(a, r._target),
        [("Target", "PathRelativeTo")] = (r, a) => r.ParsePathRelativeTo(a, r._target),
        [("Target", "MatchPattern")] = (r, a) => r.ParsePatterns(a, r._target),
        [("Target", "MatchPartitionType")] = (r, a) => r.ParsePartitionType(a),
        [("Target", "PartitionUUID")] = (r, a) => r.ParsePartitionUuid(a),
        [("Target", "PartitionFlags")] = (r, a) => r.ParsePartitionFlags(a),
        [("Target", "PartitionNoAuto")] = (r, a) => r.ParseTristate(a, ref r._noAuto),
        [("Target", "PartitionGrowFileSystem")] = (r, a) => r.ParseTristate(a, ref r._growFileSystem),
        [("Target", "ReadOnly")] = (r, a) => r.ParseTristate(a, ref r._readOnly),
        [("Target", "PartitionZeroFill")] = (r, a) => r.ParseTristate(a, ref r._zeroFill),
        [("Target", "Mode")] = (r, a) => r.ParseMode(a),
        [("Target", "TriesLeft")] = (r, a) => r.ParseUInt64(a, ref r._triesLeft),
        [("Target", "TriesDone")] = (r, a) => r.ParseUInt64(a, ref r._triesDone),
        [("Target", "InstancesMax")] = (r, a) => r.ParseInstancesMax(a),
        [("Target", "RemoveTemporary")] = (r, a) => r.ParseTristate(a, ref r._removeTemporary),
        [("Target", "CurrentSymlink")] = (r, a) => r.ParseCurrentSymlink(a),
    };

    private readonly SpecifierContext _specifiers;
    private readonly DefinitionDiagnostics _diagnostics;
    private readonly string? _transferSource;
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
        if (Table.TryGetValue((a.Section, a.Key), out var parse))
        {
            _last[(a.Section, a.Key)] = a;
            parse(this, a);
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
