namespace ImageUpdate.Model.Definitions;

/// <summary>
/// One *.transfer (or legacy *.conf) file with its drop-ins applied and systemd's defaults and
/// consistency checks done (sysupdate-transfer.c transfer_read_definition/transfer_finalize).
/// </summary>
/// <param name="Id">The file name without its .transfer/.conf suffix.</param>
/// <param name="FilePath">The main file as read (under --root when one is given).</param>
/// <param name="Verify">Verify=, default yes (--verify= overrides it at run time).</param>
/// <param name="ChangeLog">ChangeLog= URLs in order; "@v" in them is expanded per version by the engine.</param>
public sealed record TransferDefinition(
    string Id,
    string FilePath,
    string? MinVersion,
    string? MaxVersion,
    IReadOnlyList<string> ProtectVersions,
    bool Verify,
    IReadOnlyList<string> ChangeLog,
    IReadOnlyList<string> AppStream,
    IReadOnlyList<string> Features,
    IReadOnlyList<string> RequisiteFeatures,
    SourceDefinition Source,
    TargetDefinition Target)
{
    /// <summary>
    /// A ProtectVersion= value (as written, "%A") that named the booted version on a host whose
    /// os-release has no IMAGE_VERSION=: nothing is protected. The loader only records it; the verbs
    /// that delete say so, once per run (<c>UpdateEngine</c>), since only they are affected.
    /// </summary>
    public string? UnresolvedProtectVersion { get; init; }
}
