namespace ImageUpdate.Model.InstallDatabase;

/// <summary>
/// Where systemd-sysupdate 262 keeps its installation database: one directory per component below
/// /var/lib/systemd/sysupdate/ of the root, "installdb" for the default (component-less) set and
/// "installdb.NAME" for component NAME, each holding one <see cref="InstallRecord"/> link per
/// directory and pattern.
/// </summary>
public static class InstallDatabaseLayout
{
    /// <summary>The parent of every component's database, as seen from inside the root.</summary>
    public const string Parent = "/var/lib/systemd/sysupdate";

    private const string Prefix = "installdb";

    /// <summary>The database directory of <paramref name="component"/> (null: the default set), inside the root.</summary>
    public static string DirectoryOf(string? component) =>
        component is null ? $"{Parent}/{Prefix}" : $"{Parent}/{Prefix}.{component}";

    /// <summary>
    /// The component a directory name of <see cref="Parent"/> belongs to, or null when it is none (or
    /// the default set's): "installdb.NAME" with NAME a valid component name, as 262 enumerates them.
    /// </summary>
    public static string? ComponentOf(string name) =>
        name.StartsWith(Prefix + ".", StringComparison.Ordinal) && name[(Prefix.Length + 1)..] is { Length: > 0 } component &&
        Definitions.DefinitionLoader.ComponentNameIsValid(component)
            ? component
            : null;
}
