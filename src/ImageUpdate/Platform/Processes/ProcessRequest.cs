namespace ImageUpdate.Platform.Processes;

/// <summary>
/// One program invocation. <see cref="FileName"/> is looked up on PATH when it has no slash;
/// <see cref="Arguments"/> reach the program as separate argv entries, so no quoting or shell
/// interpretation ever applies to them.
/// </summary>
public sealed record ProcessRequest(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>The default bound on a tool's run time; btrfs and sfdisk finish in well under this.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The default cap on each captured stream; more output is read and discarded so the tool never blocks.</summary>
    public const int DefaultMaxOutputBytes = 16 << 20;

    /// <summary>When it expires the whole process tree is killed and <see cref="ExternalToolException"/> is thrown.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Bytes written to the program's stdin, which is then closed; without them stdin is closed at once.</summary>
    public ReadOnlyMemory<byte> StandardInput { get; init; }

    /// <summary>Variables set (a value) or removed (null) on top of the inherited environment; LC_ALL=C is always set first.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public string? WorkingDirectory { get; init; }

    /// <summary>When true (the default) a non-zero exit status throws <see cref="ExternalToolException"/>.</summary>
    public bool CheckExitCode { get; init; } = true;

    public int MaxOutputBytes { get; init; } = DefaultMaxOutputBytes;

    /// <summary>The command as one line for messages and logs: every word escaped, words with spaces quoted.</summary>
    public string CommandLine => ExternalToolException.FormatCommand([FileName, .. Arguments]);
}
