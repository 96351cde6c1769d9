using System.Text;
using ImageUpdate.Foundation.Errors;

namespace ImageUpdate.Model.Definitions;

/// <summary>
/// enable-feature / disable-feature (sysupdate.c context_enable_feature): writes
/// ROOT/etc/sysupdate.d/NAME.feature.d/50-systemd-sysupdate-enabled.conf (sysupdate.C.d for a
/// component) with "[Feature]\nEnabled=yes|no". The name is systemd's, so that a drop-in written by
/// either tool is replaced, not doubled, by the other.
/// </summary>
public static class FeatureSwitch
{
    public const string DropInName = "50-systemd-sysupdate-enabled.conf";

    /// <summary>
    /// Writes the drop-in for each feature and returns the files written. Every name is checked before
    /// anything is written: an invalid name, or a feature the definitions do not have (or mask), fails
    /// the whole call.
    /// </summary>
    public static IReadOnlyList<string> SetEnabled(
        DefinitionLoadOptions options, DefinitionSet definitions, IReadOnlyList<string> features, bool enable)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(definitions);
        ArgumentNullException.ThrowIfNull(features);
        var verb = enable ? "enable-feature" : "disable-feature";
        if (options.DefinitionsDirectory is not null)
        {
            throw new UsageException($"The --definitions= switch may not be combined with '{verb}'.");
        }

        foreach (var name in features)
        {
            if (!DefinitionLoader.FeatureNameIsValid(name))
            {
                throw new UsageException($"Feature name invalid: {UntrustedText.Escape(name)}");
            }

            if (!definitions.Features.TryGetValue(name, out var feature) || feature.Masked)
            {
                var component = options.Component ?? "<default>";
                throw new ConfigurationException(
                    $"Optional feature not found in component '{UntrustedText.Escape(component)}': {UntrustedText.Escape(name)}");
            }
        }

        var leaf = options.Component is { } c ? $"sysupdate.{c}.d" : "sysupdate.d";
        var directory = Path.Combine(options.Root, "etc", leaf);
        var content = $"# Generated via 'image-update {verb}'\n\n[Feature]\nEnabled={(enable ? "yes" : "no")}\n";
        var written = new List<string>();
        foreach (var name in features)
        {
            var path = Path.Combine(directory, $"{name}.feature.d", DropInName);
            WriteAtomically(path, content);
            written.Add(path);
        }

        return written;
    }

    // write_drop_in: parents 0755, the file 0644, replaced by rename so that a reader sees the old or
    // the new drop-in, never half of one.
    internal static void WriteAtomically(string path, string content)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("Feature drop-ins are written with Unix modes.");
        }

        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var temporary = Path.Combine(directory, $".#{Path.GetFileName(path)}{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            }))
            {
                stream.Write(Encoding.UTF8.GetBytes(content));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
