using ImageUpdate.Formats.Versions;
using ImageUpdate.Foundation.Errors;
using ImageUpdate.Model.Definitions;

namespace ImageUpdate.Update.Publishing;

/// <summary>
/// The file name a transfer's source has for a version: its first source MatchPattern with @v filled
/// in, as the engine formats names (<see cref="MatchPattern.Format"/>). A pattern with other
/// wildcards (@u, @t, @h, ...) has values publish cannot invent; then the payload directory must
/// hold exactly one file the patterns match for the version, and that name is used.
/// </summary>
internal static class PublishedName
{
    public static string For(TransferDefinition transfer, string version, string payloadsDirectory)
    {
        var id = UntrustedText.Escape(transfer.Id);
        var pattern = transfer.Source.Patterns.First;
        var text = UntrustedText.Escape(pattern.Text);
        if (pattern.HasSlash || pattern.AnyDepth)
        {
            throw new PublishException($"Transfer {id}: source pattern '{text}' names files in subdirectories; publish writes one flat directory, so give it a pattern without '/' or '**/'.");
        }

        if (!pattern.HasWildcard('v'))
        {
            throw new PublishException($"Transfer {id}: source pattern '{text}' has no @v, so the versions it names cannot be told apart.");
        }

        var others = pattern.Wildcards.Where(w => w != 'v').Distinct().ToList();
        if (others.Count == 0)
        {
            try
            {
                return pattern.Format(new InstanceMetadata { Version = version });
            }
            catch (PatternException e)
            {
                throw new PublishException($"Transfer {id}: {e.Message}", e);
            }
        }

        var matches = Directory.Exists(payloadsDirectory)
            ? Directory.EnumerateFiles(payloadsDirectory)
                .Select(Path.GetFileName)
                .OfType<string>()
                .Where(name => transfer.Source.Patterns.Match(name) is { IsMatch: true, Metadata.Version: { } v } && v == version)
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];
        if (matches.Count == 1)
        {
            return matches[0];
        }

        var wildcards = string.Join(", ", others.Select(w => "@" + w));
        var found = matches.Count == 0 ? "no file" : $"{matches.Count} files ({UntrustedText.Escape(string.Join(", ", matches))})";
        throw new PublishException($"Transfer {id}: source pattern '{text}' has wildcards publish cannot fill ({wildcards}), and {found} in {UntrustedText.Escape(payloadsDirectory)} match it for version {UntrustedText.Escape(version)}; put exactly one such file there.");
    }
}
