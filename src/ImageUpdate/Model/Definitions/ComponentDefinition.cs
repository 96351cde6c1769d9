using ImageUpdate.Model.Conditions;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// A component (sysupdate.components(5), systemd 262): the sysupdate.NAME.d transfers and the optional
/// sysupdate.NAME.component file with its drop-ins. Without a file a component is enabled, undescribed
/// and not suggested.
/// </summary>
/// <param name="Enabled">Enabled=, default yes; a disabled component is not updated or acquired.</param>
public sealed record ComponentDefinition(
    string Name,
    string? Description,
    IReadOnlyList<string> Documentation,
    bool Enabled,
    Suggestion Suggestion);
