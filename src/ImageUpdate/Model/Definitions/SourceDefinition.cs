using ImageUpdate.Formats.Versions;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// A transfer's [Source]: where versions are offered. <paramref name="Path"/> is the Path= value after
/// specifier expansion: an absolute, normalized path, or an http(s):// or file:/ URL for the url-* types.
/// </summary>
public sealed record SourceDefinition(ResourceType Type, string Path, PathRelativeTo PathRelativeTo, PatternList Patterns);
