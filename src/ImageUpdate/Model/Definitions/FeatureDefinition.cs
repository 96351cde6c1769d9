namespace ImageUpdate.Model.Definitions;

/// <summary>
/// One *.feature file with its drop-ins (sysupdate-feature.c). A masked feature (an empty file or a
/// symlink to /dev/null shadowing it) is kept with <paramref name="Masked"/> set and counts as
/// disabled and unknown, as systemd drops it from its feature table.
/// </summary>
/// <param name="Name">The file name without .feature.</param>
/// <param name="Enabled">Enabled=, default no.</param>
public sealed record FeatureDefinition(
    string Name,
    string FilePath,
    string? Description,
    IReadOnlyList<string> Documentation,
    string? AppStream,
    bool Enabled,
    bool Masked)
{
    /// <summary>Suggest= and SuggestOn*= (262).</summary>
    public Conditions.Suggestion Suggestion { get; init; } = Conditions.Suggestion.None;
}
